with

meetings as (

    select * from {{ ref('int_meetings_deduplicated') }}

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
        n_attendees,
        meeting_format,
        presiding_official,
        n_source_lines,
        source_file_sha256,
        source_sheet,
        source_row_number
    from meetings

)

select * from final
