-- One row per committee, year and KPI code (docs/development.md#kpis) whose source has records that
-- year. The definitions of the KPI catalogue, one aggregate per source, then unpivoted. The year
-- is taken from the date that defines it: the meeting's date, the issue's Năm, the post's
-- local publish time, the share's date, the commendation's Năm thành tích.
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

commendations as (

    select * from {{ ref('int_commendations_deduplicated') }}

),

meetings_by_year as (

    select
        committee_code,
        cast(extract(year from meeting_date) as integer) as year,
        sum(case when meeting_kind_code = 'thong_tin_thoi_su' then 1 else 0 end)
            as n_current_affairs_meetings,
        count(*) as n_meetings,
        sum(n_attendees) as n_attendances
    from meetings
    group by 1, 2

),

issues_by_year as (

    select
        committee_code,
        cast(issue_year as integer) as year,
        count(*) as n_issues,
        sum(n_copies_printed) as n_copies_printed
    from issues
    group by 1, 2

),

posts_by_year as (

    select
        committee_code,
        cast(extract(year from published_at_local) as integer) as year,
        count(*) as n_posts,
        -- per-post reach added up (not unique people); a blank metric is unknown
        sum(n_reach) as n_reach,
        sum(
            coalesce(n_reactions, 0) + coalesce(n_comments, 0) + coalesce(n_shares, 0)
        ) as n_interactions
    from posts
    group by 1, 2

),

shares_by_year as (

    select
        committee_code,
        cast(extract(year from shared_date) as integer) as year,
        count(*) as n_shares,
        sum(n_reach + n_interactions) as n_reach_and_interactions,
        count(distinct collaborator_pseudonym) as n_collaborators
    from shares
    group by 1, 2

),

commendations_by_year as (

    select
        committee_code,
        cast(achievement_year as integer) as year,
        sum(
            case
                when award_type_code = 'khen_thuong' and recipient_type_code = 'tap_the'
                    then 1
                else 0
            end
        ) as n_collectives_awarded,
        sum(
            case
                when award_type_code = 'bieu_duong' and recipient_type_code = 'ca_nhan'
                    then 1
                else 0
            end
        ) as n_individuals_commended
    from commendations
    group by 1, 2

),

unpivoted as (

    {%- set kpis = [
        ('meetings_by_year', 'hoi_nghi_thong_tin_thoi_su', 'n_current_affairs_meetings'),
        ('meetings_by_year', 'hoi_nghi_tong_so', 'n_meetings'),
        ('meetings_by_year', 'luot_dai_bieu', 'n_attendances'),
        ('issues_by_year', 'ban_tin_so_ky', 'n_issues'),
        ('issues_by_year', 'ban_tin_so_cuon', 'n_copies_printed'),
        ('posts_by_year', 'fanpage_tin_bai', 'n_posts'),
        ('posts_by_year', 'fanpage_luot_tiep_can', 'n_reach'),
        ('posts_by_year', 'fanpage_luot_tuong_tac', 'n_interactions'),
        ('shares_by_year', 'ctv_tin_bai_chia_se', 'n_shares'),
        ('shares_by_year', 'ctv_luot_tiep_can_tuong_tac', 'n_reach_and_interactions'),
        ('shares_by_year', 'ctv_so_cong_tac_vien', 'n_collaborators'),
        ('commendations_by_year', 'khen_thuong_tap_the', 'n_collectives_awarded'),
        ('commendations_by_year', 'bieu_duong_ca_nhan', 'n_individuals_commended'),
    ] %}
    {%- for relation, kpi_code, measure in kpis %}
    select
        committee_code,
        year,
        '{{ kpi_code }}' as kpi_code,
        cast({{ measure }} as {{ type_double() }}) as value
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

posts_per_day as (

    -- fanpage_tin_bai ÷ days in the year, 2 decimals (2024 has 366 days)
    select
        committee_code,
        year,
        'fanpage_tin_bai_binh_quan_ngay' as kpi_code,
        cast(
            round(
                cast(n_posts as {{ dbt.type_numeric() }})
                / {{ days_in_year('year') }},
                2
            ) as {{ type_double() }}
        ) as value
    from posts_by_year

),

final as (

    select * from unpivoted
    union all
    select * from posts_per_day

)

select * from final
