{#-
    Models rebuilt by natural key on an incremental night (docs/development.md#incremental-builds).

    A de-duplicated model keeps one row per natural key, computed from the staging rows of
    that key only; its fact adds columns row by row (the posts, the shares and the meetings,
    whose key is the surrogate meeting_id). So on a narrowed incremental night (the
    candidate is a copy of the published build, $BCD35_RAW_CHANGES lists the raw files that
    changed, and the change list says `narrow`) both need to recompute only the keys whose
    staging rows changed:

    - the keys of the rows added (the staging rows of the files the change list adds);
    - the keys of the rows retracted (the files gone or rewritten): the staging model's
      pre-hook `keep_retracted_rows` copies those rows into schema bcd35_changes before
      `retract_raw_rows` deletes them, as nothing else would still know their keys.

    `record_changed_keys` (the de-duplicated model's pre-hook) writes that key set into
    bcd35_changes.<model>; each model's pre-hook `delete_changed_keys` deletes its rows of
    those keys, and its body reads only the rows of those keys (`changed_keys_only`), which
    it appends. A key whose rows all left is deleted and not written again. The schema is made
    by an on-run-start hook and dropped by an on-run-end hook, so no build keeps it.
    Any other build (a full one, --force, a night after withheld partitions, PostgreSQL)
    computes every key, as before (into an emptied table when the candidate is a copy); both
    give the same rows (tests/e2e/test_rebuild_equality.py).
-#}

{% macro by_changed_keys() -%}
    {#- true on a narrowed incremental night, in the model being run (false when parsing) -#}
    {%- if not (execute and is_incremental() and env_var('BCD35_RAW_CHANGES', '')) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set narrow = run_query(
        "select count(*) from read_csv('" ~ (env_var('BCD35_RAW_CHANGES') | replace("'", "''"))
        ~ "', header = true, all_varchar = true) where action = 'narrow'") -%}
    {{ return(narrow.columns[0].values()[0] > 0) }}
{%- endmacro %}

{% macro changes_relation(name) -%}
    bcd35_changes.{{ name }}
{%- endmacro %}

{#- pre-hook of an incremental staging model, before retract_raw_rows -#}
{% macro keep_retracted_rows(table_name) -%}
    {%- if by_changed_keys() -%}
        create or replace table {{ changes_relation(this.identifier) }} as
        select * from {{ this }}
        where source_file_sha256 in ({{ raw_changes_query(table_name, 'retract', 'sha256') }})
    {%- else -%}
        select 1 as no_key_to_keep
    {%- endif -%}
{%- endmacro %}

{#- pre-hook of a de-duplicated model: the keys of its staging rows added or retracted.
    `staging_key`: for a key that is no staging column (meeting_id, a surrogate of five),
    the expression that computes it from a staging row -#}
{% macro record_changed_keys(staging, table_name, key, staging_key=none) -%}
    {%- set keys = (staging_key ~ ' as ' ~ key[0]) if staging_key else key | join(', ') -%}
    {%- if by_changed_keys() -%}
        create or replace table {{ changes_relation(this.identifier) }} as
        select distinct {{ keys }}
        from {{ staging }}
        where source_file_sha256 in ({{ raw_changes_query(table_name, 'add', 'sha256') }})
        union
        select distinct {{ keys }}
        from {{ changes_relation(staging.identifier) }}
    {%- else -%}
        select 1 as no_key_changed
    {%- endif -%}
{%- endmacro %}

{#- pre-hook: this model's rows of the changed keys (recorded by `keys_of`); on any other
    build into an existing table (an incremental night that may not be narrowed), all its
    rows, as the body then computes every key -#}
{% macro delete_changed_keys(keys_of, key) -%}
    {%- if by_changed_keys() -%}
        delete from {{ this }}
        where ({{ key | join(', ') }}) in (
            select ({{ key | join(', ') }}) from {{ changes_relation(keys_of) }}
        )
    {%- elif execute and is_incremental() -%}
        delete from {{ this }}
    {%- else -%}
        select 1 as no_key_changed
    {%- endif -%}
{%- endmacro %}

{#- a filter in a model's body: `select * from {{ relation }} {{ changed_keys_only(...) }}`
    (`staging_key` as in record_changed_keys, on a staging relation) -#}
{% macro changed_keys_only(keys_of, key, staging_key=none) -%}
    {%- if by_changed_keys() -%}
        where ({{ staging_key or key | join(', ') }}) in (
            select ({{ key | join(', ') }}) from {{ changes_relation(keys_of) }}
        )
    {%- endif -%}
{%- endmacro %}

{#- on-run-start and on-run-end hooks (dbt_project.yml): `sql`, which makes or drops schema
    bcd35_changes, on a build handed a change list (DuckDB's); nothing on PostgreSQL -#}
{% macro for_changed_keys(sql) -%}
    {{ sql if env_var('BCD35_RAW_CHANGES', '') else 'select 1 as no_change_list' }}
{%- endmacro %}
