{#-
    The raw rows a staging model reads (docs/development.md#incremental-builds).

    A full build (a new candidate, or no change list): the source itself, every file of the
    raw layer. An incremental build (bcd35.warehouse.incremental: the candidate is a copy of
    the published build, and $BCD35_RAW_CHANGES names the raw files that changed since it):
    only the raw files (packs) added or rewritten, plus the zero-row file that fixes the types;
    `retract_raw_rows`, the model's pre-hook, has deleted the rows of the source files of
    every raw file gone or rewritten. The staging table then holds the rows of exactly the
    files of the raw layer, as a full build's does. PostgreSQL always builds in full (new schemas every night).
-#}
{% macro raw_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if env_var('BCD35_RAW_CHANGES', '') and is_incremental() -%}
        {%- set paths = [env_var('BCD35_RAW_DIR') ~ '/' ~ table_name ~ '/_empty.parquet'] -%}
        {%- if execute -%}
            {%- set added = run_query(raw_changes_query(table_name, 'add', 'path')) -%}
            {%- set paths = paths + (added.columns[0].values() | list) -%}
        {%- endif -%}
        read_parquet([
            {%- for path in paths %}
            '{{ path | replace("'", "''") }}'{{ "," if not loop.last }}
            {%- endfor %}
        ])
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- pre-hook of an incremental staging model: the rows of the raw files gone or rewritten. -#}
{% macro retract_raw_rows(table_name) -%}
    {%- if env_var('BCD35_RAW_CHANGES', '') and is_incremental() -%}
        delete from {{ this }}
        where source_file_sha256 in ({{ raw_changes_query(table_name, 'retract', 'sha256') }})
    {%- else -%}
        select 1 as nothing_to_retract
    {%- endif -%}
{%- endmacro %}

{#- a pack holds several source files: each of its rows is listed once per file, its path read once -#}
{% macro raw_changes_query(table_name, action, column) -%}
    select distinct {{ column }}
    from read_csv(
        '{{ env_var('BCD35_RAW_CHANGES') | replace("'", "''") }}',
        header = true,
        columns = {'kind': 'varchar', 'action': 'varchar', 'sha256': 'varchar', 'path': 'varchar'}
    )
    where kind = '{{ table_name }}' and action = '{{ action }}'
    order by 1
{%- endmacro %}
