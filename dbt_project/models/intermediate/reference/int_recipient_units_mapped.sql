-- One row per bulletin recipient unit (Đơn vị nhận, e.g. "Đảng ủy xã Minh Dân", "Chi bộ Xã
-- Minh Dân") with the commune its name points to: a name ending in "xã <name>" or "thị trấn
-- <name>" of a pre-2025 unit is that unit (and, through the 1 July 2025 arrangement, its new
-- xã); otherwise a name ending in "xã <name>" of a post-2025 xã is that xã (no pre-2025 unit).
-- Units whose name names no commune (district bodies, schools, "(lưu)") stay unmatched:
-- null commune, is_matched false — never an error.
with

distributions as (

    select * from {{ ref('int_bulletin_distributions_deduplicated') }}

),

communes as (

    select * from {{ ref('int_communes_mapped_to_2025') }}
    where not is_district_level

),

communes_2025 as (

    select distinct
        commune_code_2025,
        commune_name_2025_vi
    from communes
    where commune_code_2025 is not null

),

units as (

    select
        committee_code,
        recipient_unit_name,
        lower(trim(recipient_unit_name)) as name_lower,
        count(*) as n_distributions
    from distributions
    group by 1, 2, 3

),

by_old_unit as (

    select
        units.committee_code,
        units.recipient_unit_name,
        min(communes.commune_code) as commune_code,
        count(*) as n_candidates
    from units
    inner join communes
        on
            units.name_lower like '%xã ' || lower(communes.commune_name_vi)
            or units.name_lower like '%thị trấn ' || lower(communes.commune_name_vi)
    group by 1, 2

),

by_new_commune as (

    select
        units.committee_code,
        units.recipient_unit_name,
        min(communes_2025.commune_code_2025) as commune_code_2025,
        count(*) as n_candidates
    from units
    inner join communes_2025
        on units.name_lower like '%xã ' || lower(communes_2025.commune_name_2025_vi)
    group by 1, 2

),

final as (

    select
        {{ surrogate_key(['units.committee_code', 'units.recipient_unit_name']) }}
            as recipient_unit_id,
        units.committee_code,
        units.recipient_unit_name,
        units.n_distributions,
        by_old_unit.commune_code,
        coalesce(communes.commune_code_2025, by_new_commune.commune_code_2025)
            as commune_code_2025,
        case
            when by_old_unit.commune_code is not null then 'pre_2025_unit'
            when by_new_commune.commune_code_2025 is not null then 'post_2025_commune'
        end as matched_by,
        coalesce(by_old_unit.commune_code, by_new_commune.commune_code_2025) is not null
            as is_matched
    from units
    left join by_old_unit
        on
            units.committee_code = by_old_unit.committee_code
            and units.recipient_unit_name = by_old_unit.recipient_unit_name
            and by_old_unit.n_candidates = 1
    left join communes
        on by_old_unit.commune_code = communes.commune_code
    left join by_new_commune
        on
            units.committee_code = by_new_commune.committee_code
            and units.recipient_unit_name = by_new_commune.recipient_unit_name
            and by_new_commune.n_candidates = 1
            and by_old_unit.commune_code is null

)

select * from final
