with

commendations as (

    select * from {{ ref('int_commendations_deduplicated') }}

),

final as (

    select
        commendation_id,
        committee_code,
        cast(achievement_year as integer) as achievement_year,
        award_type_code,
        recipient_type_code,
        recipient_name,
        decision_number,
        decision_date,
        n_source_lines,
        source_file_sha256,
        source_sheet,
        source_row_number
    from commendations

)

select * from final
