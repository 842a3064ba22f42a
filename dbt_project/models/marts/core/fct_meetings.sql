with

meetings as (

    select * from {{ ref('int_meetings_deduplicated') }}

),

final as (

    select
        {{ surrogate_key(['committee_code', 'meeting_date', 'meeting_name_key',
                          'organiser_key', 'commune_code']) }} as meeting_id,
        committee_code,
        meeting_date,
        cast({{ dbt.date_trunc('month', 'meeting_date') }} as date) as meeting_month,
        cast(extract(year from meeting_date) as integer) as meeting_year,
        meeting_kind_code,
        meeting_name,
        organiser_name,
        commune_code,
        n_attendees,
        meeting_format,
        presiding_official,
        source_file_sha256,
        source_sheet,
        source_row_number
    from meetings

)

select * from final
