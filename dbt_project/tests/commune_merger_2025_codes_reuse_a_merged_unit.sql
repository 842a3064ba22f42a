-- Every xã of the 2025 list has the GSO code of one of the pre-2025 units merged into it,
-- and that unit maps to it: a code of either list then maps to its 2025 xã through the one
-- table (fct_bulletin_distributions relies on it; docs/formats.md#communes). Rows returned
-- are xã whose code breaks this.
with

merger as (

    select * from {{ ref('commune_merger_2025') }}

),

communes_2025 as (

    select distinct commune_code_2025 from merger

),

final as (

    select communes_2025.commune_code_2025
    from communes_2025
    left join merger
        on
            communes_2025.commune_code_2025 = merger.commune_code
            and merger.commune_code_2025 = communes_2025.commune_code_2025
    where merger.commune_code is null

)

select * from final
