with

communes_2025 as (

    select * from {{ ref('int_communes_2025') }}

),

final as (

    select
        commune_code_2025,
        commune_name_2025_vi,
        unit_type_2025_vi,
        valid_from,
        cast(n_units_merged as integer) as n_units_merged,
        legal_basis,
        is_verified
    from communes_2025

)

select * from final
