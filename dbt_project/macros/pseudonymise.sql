{#-
    Keyed hash (HMAC-SHA256) of a normalised personal name, shortened to "p_" + 16 hex
    digits (bcd35.dbt_plugin.pseudonym). The key never appears in SQL, logs or the repository:
    - DuckDB: the bcd35_pseudonym function is registered on each connection by the
      bcd35.dbt_plugin plugin with the key from the run's environment;
    - PostgreSQL: pgcrypto's hmac() with the key from the session setting
      bcd35.pseudonym_key, which bcd35.warehouse.postgres passes in the libpq startup options
      (PGOPTIONS), never in a statement.
    Both give the same pseudonym for the same key and name (tests/dbt/test_postgres.py).
-#}
{% macro pseudonymise(column) -%}
    {{ return(adapter.dispatch('pseudonymise', 'bcd35')(column)) }}
{%- endmacro %}

{% macro default__pseudonymise(column) -%}
    bcd35_pseudonym({{ column }})
{%- endmacro %}

{% macro postgres__pseudonymise(column) -%}
    ('p_' || substr(encode(hmac(
        {{ column }}, current_setting('bcd35.pseudonym_key'), 'sha256'
    ), 'hex'), 1, 16))
{%- endmacro %}
