-- One row per commune-level unit in force from the 1 July 2025 arrangement (the 8 xã of the
-- merger reference data; docs/formats.md#communes): its GSO code, name, the day it took
-- effect and how many pre-2025 units it was made of.
with

merger as (

    select * from {{ ref('commune_merger_2025') }}

),

final as (

    select
        commune_code_2025,
        min(commune_name_2025_vi) as commune_name_2025_vi,
        min(unit_type_2025_vi) as unit_type_2025_vi,
        min(effective_date) as valid_from,
        count(*) as n_units_merged,
        min(legal_basis) as legal_basis,
        min(case when is_verified then 1 else 0 end) = 1 as is_verified
    from merger
    group by commune_code_2025

)

select * from final
