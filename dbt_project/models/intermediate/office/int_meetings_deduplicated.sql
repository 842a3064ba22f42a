-- One row per meeting: natural key = date + name + organiser + commune (normalised).
with

meetings as (

    select * from {{ ref('stg_office__meetings') }}

),

deduplicated as (

    {{ deduplicate_latest(
        'meetings',
        ['committee_code', 'meeting_date', 'meeting_name_key', 'organiser_key', 'commune_code']
    ) }}

),

final as (

    select
        {{ surrogate_key(['committee_code', 'meeting_date', 'meeting_name_key',
                          'organiser_key', 'commune_code']) }} as meeting_id,
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
