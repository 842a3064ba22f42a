{#-
    on-run-start hook: what a target needs before any model runs. PostgreSQL needs pgcrypto
    for the pseudonymising hmac(); DuckDB needs nothing (the plugin registers the function).
-#}
{% macro prepare_target() -%}
    {{ return(adapter.dispatch('prepare_target', 'bcd35')()) }}
{%- endmacro %}

{% macro default__prepare_target() -%}
    select 1 as ready
{%- endmacro %}

{% macro postgres__prepare_target() -%}
    create extension if not exists pgcrypto
{%- endmacro %}
