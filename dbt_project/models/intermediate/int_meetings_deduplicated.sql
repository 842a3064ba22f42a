-- One row per meeting: natural key = date + name + organiser + commune (normalised).
with

meetings as (

    select * from {{ ref('stg_office__meetings') }}

),

final as (

    {{ deduplicate_latest(
        'meetings',
        ['committee_code', 'meeting_date', 'meeting_name_key', 'organiser_key', 'commune_code']
    ) }}

)

select * from final
