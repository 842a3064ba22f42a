{#-
    Keyed hash (HMAC-SHA256) of a normalised personal name. On DuckDB the function is
    registered by the bcd35.dbt_plugin plugin with the key from the run's configuration;
    the key never appears in SQL, logs or the repository.
-#}
{% macro pseudonymise(column) -%}
    {{ return(adapter.dispatch('pseudonymise', 'bcd35')(column)) }}
{%- endmacro %}

{% macro default__pseudonymise(column) -%}
    bcd35_pseudonym({{ column }})
{%- endmacro %}
