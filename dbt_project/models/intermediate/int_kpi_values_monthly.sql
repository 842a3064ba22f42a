-- One row per committee, month and additive KPI code, computed from the facts
-- (independently of the annual figures, so the audit can compare the two).
with

meetings as (select * from {{ ref('fct_meetings') }}),
issues as (select * from {{ ref('fct_bulletin_issues') }}),
posts as (select * from {{ ref('fct_posts') }}),
shares as (select * from {{ ref('fct_collaborator_shares') }}),

values_by_month as (

    select committee_code, meeting_year as year, extract(month from meeting_month) as month,
        'hoi_nghi_thong_tin_thoi_su' as kpi_code,
        sum(case when meeting_kind_code = 'thong_tin_thoi_su' then 1 else 0 end) as value
    from meetings group by 1, 2, 3
    union all
    select committee_code, meeting_year, extract(month from meeting_month),
        'hoi_nghi_tong_so', count(*)
    from meetings group by 1, 2, 3
    union all
    select committee_code, meeting_year, extract(month from meeting_month),
        'luot_dai_bieu', sum(n_attendees)
    from meetings group by 1, 2, 3
    union all
    -- an issue counts in its year (Năm) and the month of its release (Tháng phát hành)
    select committee_code, issue_year, extract(month from release_month),
        'ban_tin_so_ky', count(*)
    from issues group by 1, 2, 3
    union all
    select committee_code, issue_year, extract(month from release_month),
        'ban_tin_so_cuon', sum(n_copies_printed)
    from issues group by 1, 2, 3
    union all
    select committee_code, published_year, extract(month from published_month),
        'fanpage_tin_bai', count(*)
    from posts group by 1, 2, 3
    union all
    select committee_code, published_year, extract(month from published_month),
        'fanpage_luot_tiep_can', sum(n_reach)
    from posts group by 1, 2, 3
    union all
    select committee_code, published_year, extract(month from published_month),
        'fanpage_luot_tuong_tac',
        sum(coalesce(n_reactions, 0) + coalesce(n_comments, 0) + coalesce(n_shares, 0))
    from posts group by 1, 2, 3
    union all
    select committee_code, shared_year, extract(month from shared_month),
        'ctv_tin_bai_chia_se', count(*)
    from shares group by 1, 2, 3
    union all
    select committee_code, shared_year, extract(month from shared_month),
        'ctv_luot_tiep_can_tuong_tac', sum(n_reach + n_interactions)
    from shares group by 1, 2, 3

),

final as (

    select
        committee_code,
        cast(year as integer) as year,
        cast(month as integer) as month,
        kpi_code,
        cast(value as {{ type_double() }}) as value
    from values_by_month

)

select * from final
