{#-
    Keep one row per natural key: the row of the latest ingested file wins, and inside one
    file the later line wins. `order_by` may prepend a kind-specific rule (Meta exports: the
    export covering the latest period first).
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
            ) as dedup_rank
        from {{ relation }}
    ) as ranked
    where dedup_rank = 1
{%- endmacro %}
