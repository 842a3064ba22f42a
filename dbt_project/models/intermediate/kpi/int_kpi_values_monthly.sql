-- One row per committee, year, month and additive KPI code with records that month,
-- computed from the deduplicated records independently of the annual figures (the audit
-- checks that the months add up to the year). An issue counts in its Năm and the month of
-- its Tháng phát hành.
with

meetings as (

    select * from {{ ref('int_meetings_deduplicated') }}

),

issues as (

    select * from {{ ref('int_bulletin_issues_deduplicated') }}

),

posts as (

    -- a page the office listed as not the committee's stays out; an unlisted one counts
    -- (with the audit's warning every night until it is listed)
    select * from {{ ref('int_posts_deduplicated') }}
    where is_committee_page is null or is_committee_page

),

shares as (

    select * from {{ ref('int_collaborator_shares_deduplicated') }}

),

meetings_by_month as (

    select
        committee_code,
        cast(extract(year from meeting_date) as integer) as year,
        cast(extract(month from meeting_date) as integer) as month,
        sum(case when meeting_kind_code = 'thong_tin_thoi_su' then 1 else 0 end)
            as n_current_affairs_meetings,
        count(*) as n_meetings,
        sum(n_attendees) as n_attendances
    from meetings
    group by 1, 2, 3

),

issues_by_month as (

    select
        committee_code,
        cast(issue_year as integer) as year,
        cast(extract(month from release_month) as integer) as month,
        count(*) as n_issues,
        sum(n_copies_printed) as n_copies_printed
    from issues
    group by 1, 2, 3

),

posts_by_month as (

    select
        committee_code,
        cast(extract(year from published_at_local) as integer) as year,
        cast(extract(month from published_at_local) as integer) as month,
        count(*) as n_posts,
        sum(n_reach) as n_reach,
        sum(
            coalesce(n_reactions, 0) + coalesce(n_comments, 0) + coalesce(n_shares, 0)
        ) as n_interactions
    from posts
    group by 1, 2, 3

),

shares_by_month as (

    select
        committee_code,
        cast(extract(year from shared_date) as integer) as year,
        cast(extract(month from shared_date) as integer) as month,
        count(*) as n_shares,
        sum(n_reach + n_interactions) as n_reach_and_interactions
    from shares
    group by 1, 2, 3

),

final as (

    {%- set kpis = [
        ('meetings_by_month', 'hoi_nghi_thong_tin_thoi_su', 'n_current_affairs_meetings'),
        ('meetings_by_month', 'hoi_nghi_tong_so', 'n_meetings'),
        ('meetings_by_month', 'luot_dai_bieu', 'n_attendances'),
        ('issues_by_month', 'ban_tin_so_ky', 'n_issues'),
        ('issues_by_month', 'ban_tin_so_cuon', 'n_copies_printed'),
        ('posts_by_month', 'fanpage_tin_bai', 'n_posts'),
        ('posts_by_month', 'fanpage_luot_tiep_can', 'n_reach'),
        ('posts_by_month', 'fanpage_luot_tuong_tac', 'n_interactions'),
        ('shares_by_month', 'ctv_tin_bai_chia_se', 'n_shares'),
        ('shares_by_month', 'ctv_luot_tiep_can_tuong_tac', 'n_reach_and_interactions'),
    ] %}
    {%- for relation, kpi_code, measure in kpis %}
    select
        committee_code,
        year,
        month,
        '{{ kpi_code }}' as kpi_code,
        cast({{ measure }} as {{ type_double() }}) as value
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from final
