-- One row per meeting: natural key = date + name + organiser + commune (normalised).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ record_changed_keys(ref('stg_office__meetings'), 'meeting_log', ['meeting_id'], meeting_id()) }}",
        "{{ delete_changed_keys('int_meetings_deduplicated', ['meeting_id']) }}",
    ],
) }}

with

meetings as (

    -- an incremental night: the rows of the keys that changed only (macros/changed_keys.sql)
    select * from {{ ref('stg_office__meetings') }}
    {{ changed_keys_only('int_meetings_deduplicated', ['meeting_id'], meeting_id()) }}

),

deduplicated as (

    {{ deduplicate_latest(
        'meetings',
        ['committee_code', 'meeting_date', 'meeting_name_key', 'organiser_key', 'commune_code']
    ) }}

),

final as (

    select
        {{ meeting_id() }} as meeting_id,
        committee_code,
        meeting_date,
        meeting_kind_code,
        meeting_kind_as_written,
        meeting_name,
        organiser_name,
        commune_code,
        commune_as_written,
        n_attendees,
        meeting_format,
        presiding_official,
        n_source_lines,
        source_file_sha256,
        source_sheet,
        source_row_number
    from deduplicated

)

select * from final
