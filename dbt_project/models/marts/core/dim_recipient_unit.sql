with

units as (

    select * from {{ ref('int_recipient_units_mapped') }}

),

communes as (

    select * from {{ ref('int_communes_mapped_to_2025') }}

),

communes_2025 as (

    select
        commune_code_2025,
        min(commune_name_2025_vi) as commune_name_2025_vi
    from communes
    where commune_code_2025 is not null
    group by 1

),

final as (

    select
        units.recipient_unit_id,
        units.committee_code,
        units.recipient_unit_name,
        units.commune_code,
        communes.commune_name_vi,
        units.commune_code_2025,
        communes_2025.commune_name_2025_vi,
        units.matched_by,
        units.is_matched,
        cast(units.n_distributions as integer) as n_distributions
    from units
    left join communes
        on units.commune_code = communes.commune_code
    left join communes_2025
        on units.commune_code_2025 = communes_2025.commune_code_2025

)

select * from final
