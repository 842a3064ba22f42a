{#- 64-bit floating point on every adapter (dbt.type_float() is 32-bit on DuckDB). -#}
{% macro type_double() -%}
    double precision
{%- endmacro %}
