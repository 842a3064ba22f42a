-- One row per issue and receiving unit: natural key = publication + year + number + unit.
with

distributions as (

    select * from {{ ref('stg_office__bulletin_distributions') }}

),

final as (

    {{ deduplicate_latest(
        'distributions',
        ['committee_code', 'publication_key', 'issue_year', 'issue_number',
         'recipient_unit_key']
    ) }}

)

select * from final
