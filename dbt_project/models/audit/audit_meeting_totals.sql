-- One row per committee and year: the meeting total three ways (docs/operator.md#checks).
with

meetings as (select * from {{ ref('fct_meetings') }}),

-- by commune: the xã of the 2025 list (a pre-2025 unit through the arrangement; null for the
-- district level), as mart_meetings_by_commune groups them
by_commune as (

    select committee_code, meeting_year, commune_code_2025, count(*) as n_meetings
    from meetings group by 1, 2, 3

),

by_kind as (

    select committee_code, meeting_year, meeting_kind_code, count(*) as n_meetings
    from meetings group by 1, 2, 3

),

totals as (

    select committee_code, meeting_year, count(*) as n_meetings
    from meetings group by 1, 2

),

final as (

    select
        totals.committee_code,
        totals.meeting_year as year,
        totals.n_meetings as n_meetings_total,
        (select sum(c.n_meetings) from by_commune as c
            where c.committee_code = totals.committee_code
            and c.meeting_year = totals.meeting_year) as n_meetings_by_commune,
        (select sum(k.n_meetings) from by_kind as k
            where k.committee_code = totals.committee_code
            and k.meeting_year = totals.meeting_year) as n_meetings_by_kind
    from totals

)

select * from final
