with

commendations as (

    select * from {{ ref('int_commendations_deduplicated') }}

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
        source_file_sha256,
        source_sheet,
        source_row_number
    from commendations

)

select * from final
