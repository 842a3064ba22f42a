{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_keys('int_meetings_deduplicated', ['meeting_id']) }}",
) }}

with

meetings as (

    -- an incremental night: the rows of the keys that changed only (macros/changed_keys.sql)
    select * from {{ ref('int_meetings_deduplicated') }}
    {{ changed_keys_only('int_meetings_deduplicated', ['meeting_id']) }}

),

communes as (

    select * from {{ ref('int_communes_mapped_to_2025') }}

),

-- the first day of the 2025 list: a meeting dated from it names one of the new xã
-- (the ingest resolves the commune by the meeting's date, docs/formats.md#communes)
arrangement as (

    select min(valid_from) as effective_date
    from {{ ref('int_communes_2025') }}

),

with_communes as (

    select
        meetings.*,
        coalesce(meetings.meeting_date >= arrangement.effective_date, false)
            as is_2025_commune,
        case
            when meetings.meeting_date >= arrangement.effective_date
                then meetings.commune_code
            else communes.commune_code_2025
        end as commune_code_2025
    from meetings
    cross join arrangement
    left join communes
        on meetings.commune_code = communes.commune_code

),

final as (

    select
        meeting_id,
        committee_code,
        meeting_date,
        cast(extract(year from meeting_date) as integer) as meeting_year,
        cast(extract(quarter from meeting_date) as integer) as meeting_quarter,
        cast({{ dbt.date_trunc('month', 'meeting_date') }} as date) as meeting_month,
        meeting_kind_code,
        meeting_kind_as_written,
        meeting_name,
        organiser_name,
        commune_code,
        is_2025_commune,
        commune_code_2025,
        n_attendees,
        meeting_format,
        presiding_official,
        n_source_lines,
        source_file_sha256,
        source_sheet,
        source_row_number
    from with_communes

)

select * from final
