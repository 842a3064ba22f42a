{#-
    Keep one row per natural key (docs/formats.md: "a row with the same key again is the same thing,
    latest ingestion wins"): the row of the latest ingested file wins, and inside one file the
    later line wins. `order_by` may prepend a kind-specific rule (Meta exports: the export
    covering the latest period first). Adds n_source_lines, the number of raw lines that
    carried the key, and dedup_rank (always 1 in the output).
-#}
{% macro deduplicate_latest(relation, partition_by, order_by=none) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ partition_by | join(', ') }}
                order by
                    {% if order_by %}{{ order_by | join(', ') }},{% endif %}
                    ingest_seq desc,
                    source_row_number desc
            ) as dedup_rank,
            count(*) over (
                partition by {{ partition_by | join(', ') }}
            ) as n_source_lines
        from {{ relation }}
    ) as ranked
    where dedup_rank = 1
{%- endmacro %}
