-- One row per committee, year, commune of the 2025 list (or the district level) and kind of
-- meeting: meetings named under a pre-2025 unit count in the xã that unit became part of on
-- 1 July 2025, so a 2025 report adds up the half-year before and the half-year after
-- (docs/analyst.md#communes).
with

meetings as (

    select * from {{ ref('fct_meetings') }}

),

communes_2025 as (

    select * from {{ ref('dim_commune_2025') }}

),

by_commune as (

    select
        committee_code,
        meeting_year,
        commune_code_2025,
        meeting_kind_code,
        count(*) as n_meetings,
        sum(case when is_2025_commune then 0 else 1 end) as n_meetings_named_old_unit,
        sum(case when is_2025_commune then 1 else 0 end) as n_meetings_named_2025_commune,
        sum(n_attendees) as n_attendees
    from meetings
    group by 1, 2, 3, 4

),

final as (

    select
        by_commune.committee_code,
        by_commune.meeting_year as year,
        by_commune.commune_code_2025,
        coalesce(communes_2025.commune_name_2025_vi, 'Cấp huyện') as commune_name_2025_vi,
        by_commune.commune_code_2025 is null as is_district_level,
        by_commune.meeting_kind_code,
        cast(by_commune.n_meetings as bigint) as n_meetings,
        cast(by_commune.n_meetings_named_old_unit as bigint) as n_meetings_named_old_unit,
        cast(by_commune.n_meetings_named_2025_commune as bigint)
            as n_meetings_named_2025_commune,
        cast(by_commune.n_attendees as bigint) as n_attendees
    from by_commune
    left join communes_2025
        on by_commune.commune_code_2025 = communes_2025.commune_code_2025

)

select * from final
