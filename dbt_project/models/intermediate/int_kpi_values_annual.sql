-- One row per committee, year and KPI code with a value computed from the facts.
-- Definitions: SPEC §4. Every code of the catalogue gets a row for every year in which the
-- committee has any fact (zero when nothing happened), see mart_kpi_annual.
with

meetings as (select * from {{ ref('fct_meetings') }}),
issues as (select * from {{ ref('fct_bulletin_issues') }}),
posts as (select * from {{ ref('fct_posts') }}),
shares as (select * from {{ ref('fct_collaborator_shares') }}),
commendations as (select * from {{ ref('fct_commendations') }}),

meeting_kpis as (

    select committee_code, meeting_year as year, 'hoi_nghi_thong_tin_thoi_su' as kpi_code,
        sum(case when meeting_kind_code = 'thong_tin_thoi_su' then 1 else 0 end) as value
    from meetings group by 1, 2
    union all
    select committee_code, meeting_year, 'hoi_nghi_tong_so', count(*)
    from meetings group by 1, 2
    union all
    select committee_code, meeting_year, 'luot_dai_bieu', sum(n_attendees)
    from meetings group by 1, 2

),

bulletin_kpis as (

    select committee_code, issue_year as year, 'ban_tin_so_ky' as kpi_code, count(*) as value
    from issues group by 1, 2
    union all
    select committee_code, issue_year, 'ban_tin_so_cuon', sum(n_copies_printed)
    from issues group by 1, 2

),

post_kpis as (

    select committee_code, published_year as year, 'fanpage_tin_bai' as kpi_code,
        count(*) as value
    from posts group by 1, 2
    union all
    select committee_code, published_year, 'fanpage_luot_tiep_can', sum(n_reach)
    from posts group by 1, 2
    union all
    select committee_code, published_year, 'fanpage_luot_tuong_tac',
        sum(coalesce(n_reactions, 0) + coalesce(n_comments, 0) + coalesce(n_shares, 0))
    from posts group by 1, 2

),

share_kpis as (

    select committee_code, shared_year as year, 'ctv_tin_bai_chia_se' as kpi_code,
        count(*) as value
    from shares group by 1, 2
    union all
    select committee_code, shared_year, 'ctv_luot_tiep_can_tuong_tac',
        sum(n_reach + n_interactions)
    from shares group by 1, 2
    union all
    select committee_code, shared_year, 'ctv_so_cong_tac_vien',
        count(distinct collaborator_pseudonym)
    from shares group by 1, 2

),

commendation_kpis as (

    select committee_code, achievement_year as year, 'khen_thuong_tap_the' as kpi_code,
        sum(case when award_type_code = 'khen_thuong' and recipient_type_code = 'tap_the'
            then 1 else 0 end) as value
    from commendations group by 1, 2
    union all
    select committee_code, achievement_year, 'bieu_duong_ca_nhan',
        sum(case when award_type_code = 'bieu_duong' and recipient_type_code = 'ca_nhan'
            then 1 else 0 end)
    from commendations group by 1, 2

),

counted as (

    select committee_code, year, kpi_code, cast(value as {{ type_double() }}) as value
    from meeting_kpis
    union all
    select committee_code, year, kpi_code, cast(value as {{ type_double() }})
    from bulletin_kpis
    union all
    select committee_code, year, kpi_code, cast(value as {{ type_double() }})
    from post_kpis
    union all
    select committee_code, year, kpi_code, cast(value as {{ type_double() }})
    from share_kpis
    union all
    select committee_code, year, kpi_code, cast(value as {{ type_double() }})
    from commendation_kpis

),

posts_per_day as (

    select
        committee_code,
        year,
        'fanpage_tin_bai_binh_quan_ngay' as kpi_code,
        cast(
            round(
                cast(value as {{ dbt.type_numeric() }})
                / case
                    when (mod(year, 4) = 0 and mod(year, 100) <> 0) or mod(year, 400) = 0
                        then 366
                    else 365
                end,
                2
            ) as {{ type_double() }}
        ) as value
    from counted
    where kpi_code = 'fanpage_tin_bai'

),

final as (

    select * from counted
    union all
    select * from posts_per_day

)

select * from final
