{#-
    The matching form of a share link (docs/formats.md: the natural key of collaborator_shares):
    trimmed, trailing "/" dropped. Ingestion writes it as lien_ket_norm already; staging applies it
    again (idempotent) so that the rule lives next to the key it defines and is unit-tested.
-#}
{% macro normalise_link(column) -%}
    rtrim(trim({{ column }}), '/')
{%- endmacro %}
