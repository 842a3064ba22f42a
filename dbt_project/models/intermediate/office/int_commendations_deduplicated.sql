-- One row per commendation: natural key = all four required columns.
with

commendations as (

    select * from {{ ref('stg_office__commendations') }}

),

deduplicated as (

    {{ deduplicate_latest(
        'commendations',
        ['committee_code', 'achievement_year', 'award_type_code', 'recipient_type_code',
         'recipient_key']
    ) }}

),

final as (

    select
        {{ surrogate_key(['committee_code', 'achievement_year', 'award_type_code',
                          'recipient_type_code', 'recipient_key']) }} as commendation_id,
        committee_code,
        achievement_year,
        award_type_code,
        recipient_type_code,
        recipient_name,
        decision_number,
        decision_date,
        n_source_lines,
        source_file_sha256,
        source_sheet,
        source_row_number
    from deduplicated

)

select * from final
