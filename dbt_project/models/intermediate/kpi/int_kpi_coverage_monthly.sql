-- One row per committee, year, month and KPI code whose source has dated records that month:
-- how many records and their first and last date. The dates are those that define the KPI's
-- year (the meeting's date, the issue's Tháng phát hành, the post's local publish date, the
-- share's date). Commendations carry only a year (Năm thành tích): they have no month here.
with

meetings as (

    select * from {{ ref('int_meetings_deduplicated') }}

),

issues as (

    select * from {{ ref('int_bulletin_issues_deduplicated') }}

),

posts as (

    select * from {{ ref('int_posts_deduplicated') }}
    where is_committee_page is null or is_committee_page

),

shares as (

    select * from {{ ref('int_collaborator_shares_deduplicated') }}

),

dated as (

    select
        committee_code,
        'meeting_log' as source_kind,
        cast(extract(year from meeting_date) as integer) as year,
        cast(meeting_date as date) as record_date
    from meetings
    union all
    select
        committee_code,
        'bulletin_issue' as source_kind,
        cast(issue_year as integer) as year,
        cast(release_month as date) as record_date
    from issues
    union all
    select
        committee_code,
        'meta_posts' as source_kind,
        cast(extract(year from published_at_local) as integer) as year,
        cast(published_at_local as date) as record_date
    from posts
    union all
    select
        committee_code,
        'collaborator_shares' as source_kind,
        cast(extract(year from shared_date) as integer) as year,
        cast(shared_date as date) as record_date
    from shares

),

by_month as (

    select
        committee_code,
        source_kind,
        year,
        cast(extract(month from record_date) as integer) as month,
        count(*) as n_records,
        min(record_date) as first_date,
        max(record_date) as last_date
    from dated
    group by 1, 2, 3, 4

),

kpi_sources as (

    {%- set kpi_sources = [
        ('hoi_nghi_thong_tin_thoi_su', 'meeting_log'),
        ('hoi_nghi_tong_so', 'meeting_log'),
        ('luot_dai_bieu', 'meeting_log'),
        ('ban_tin_so_ky', 'bulletin_issue'),
        ('ban_tin_so_cuon', 'bulletin_issue'),
        ('fanpage_tin_bai', 'meta_posts'),
        ('fanpage_tin_bai_binh_quan_ngay', 'meta_posts'),
        ('fanpage_luot_tiep_can', 'meta_posts'),
        ('fanpage_luot_tuong_tac', 'meta_posts'),
        ('ctv_tin_bai_chia_se', 'collaborator_shares'),
        ('ctv_luot_tiep_can_tuong_tac', 'collaborator_shares'),
        ('ctv_so_cong_tac_vien', 'collaborator_shares'),
    ] %}
    {%- for kpi_code, source_kind in kpi_sources %}
    select
        '{{ kpi_code }}' as kpi_code,
        '{{ source_kind }}' as source_kind
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        by_month.committee_code,
        by_month.year,
        by_month.month,
        kpi_sources.kpi_code,
        by_month.source_kind,
        by_month.n_records,
        by_month.first_date,
        by_month.last_date
    from by_month
    inner join kpi_sources
        on by_month.source_kind = kpi_sources.source_kind

)

select * from final
