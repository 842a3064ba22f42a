with

communes as (

    select * from {{ ref('int_communes_mapped_to_2025') }}

),

final as (

    select
        commune_code,
        commune_name_vi,
        unit_type_vi,
        is_district_level,
        district_code,
        district_name_vi,
        commune_code_2025,
        commune_name_2025_vi,
        unit_type_2025_vi,
        merged_on,
        merger_legal_basis,
        is_merger_verified
    from communes

)

select * from final
