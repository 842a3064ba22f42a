{#-
    Use the folder's schema name as is (staging, marts, ...) instead of <target>_<schema>.
    `schema_prefix` (default empty) lets the PostgreSQL write-audit-publish build a candidate
    into c_<build>_<layer> schemas beside the published ones (bcd35.warehouse.postgres).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ var('schema_prefix', '') }}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
