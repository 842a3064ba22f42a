-- One row per commendation: natural key = all four required columns.
with

commendations as (

    select * from {{ ref('stg_office__commendations') }}

),

final as (

    {{ deduplicate_latest(
        'commendations',
        ['committee_code', 'achievement_year', 'award_type_code', 'recipient_type_code',
         'recipient_key']
    ) }}

)

select * from final
