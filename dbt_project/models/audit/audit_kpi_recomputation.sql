{{ config(materialized='view') }}
-- The mart's annual KPIs beside a second computation from staging only (see the yml).
with

meetings as (
    select
        committee_code,
        cast(extract(year from meeting_date) as integer) as year,
        meeting_kind_code,
        n_attendees,
        row_number() over (
            partition by committee_code, meeting_date, meeting_name_key, organiser_key,
                commune_code
            order by ingest_seq desc nulls last, source_row_number desc nulls last
        ) as latest
    from {{ ref('stg_office__meetings').include(database=false) }}
),

issues as (
    select
        committee_code,
        cast(issue_year as integer) as year,
        n_copies_printed,
        row_number() over (
            partition by committee_code, publication_key, issue_year, issue_number
            order by ingest_seq desc nulls last, source_row_number desc nulls last
        ) as latest
    from {{ ref('stg_office__bulletin_issues').include(database=false) }}
),

not_our_pages as (
    select page_id
    from {{ ref('stg_home__pages').include(database=false) }}
    where not is_committee_page
),

posts as (
    select
        committee_code,
        page_id,
        cast(extract(year from published_at_local) as integer) as year,
        n_reach,
        n_reactions,
        n_comments,
        n_shares,
        row_number() over (
            partition by committee_code, post_id
            order by export_period_end desc nulls last, ingest_seq desc nulls last,
                source_row_number desc nulls last
        ) as latest
    from {{ ref('stg_meta__posts').include(database=false) }}
),

shares as (
    select
        committee_code,
        cast(extract(year from shared_date) as integer) as year,
        n_reach,
        n_interactions,
        collaborator_pseudonym,
        row_number() over (
            partition by committee_code, share_id
            order by ingest_seq desc nulls last, source_row_number desc nulls last
        ) as latest
    from {{ ref('stg_office__collaborator_shares').include(database=false) }}
),

awards as (
    select
        committee_code,
        cast(achievement_year as integer) as year,
        award_type_code,
        recipient_type_code,
        row_number() over (
            partition by committee_code, achievement_year, award_type_code,
                recipient_type_code, recipient_key
            order by ingest_seq desc nulls last, source_row_number desc nulls last
        ) as latest
    from {{ ref('stg_office__commendations').include(database=false) }}
),

meeting_figures as (
    select
        committee_code,
        year,
        count(case when meeting_kind_code = 'thong_tin_thoi_su' then 1 end)
            as hoi_nghi_thong_tin_thoi_su,
        count(*) as hoi_nghi_tong_so,
        sum(n_attendees) as luot_dai_bieu
    from meetings
    where latest = 1 and year is not null
    group by committee_code, year
),

issue_figures as (
    select
        committee_code,
        year,
        count(*) as ban_tin_so_ky,
        sum(n_copies_printed) as ban_tin_so_cuon
    from issues
    where latest = 1 and year is not null
    group by committee_code, year
),

post_figures as (
    select
        committee_code,
        year,
        count(*) as fanpage_tin_bai,
        round(
            cast(count(*) as {{ dbt.type_numeric() }})
            / (case when mod(year, 400) = 0 or (mod(year, 4) = 0 and mod(year, 100) <> 0)
                then 366 else 365 end),
            2
        ) as fanpage_tin_bai_binh_quan_ngay,
        sum(coalesce(n_reach, 0)) as fanpage_luot_tiep_can,
        sum(coalesce(n_reactions, 0) + coalesce(n_comments, 0) + coalesce(n_shares, 0))
            as fanpage_luot_tuong_tac
    from posts
    where latest = 1 and year is not null
        and not exists (
            select 1 from not_our_pages where not_our_pages.page_id = posts.page_id
        )
    group by committee_code, year
),

share_figures as (
    select
        committee_code,
        year,
        count(*) as ctv_tin_bai_chia_se,
        sum(n_reach + n_interactions) as ctv_luot_tiep_can_tuong_tac,
        count(distinct collaborator_pseudonym) as ctv_so_cong_tac_vien
    from shares
    where latest = 1 and year is not null
    group by committee_code, year
),

award_figures as (
    select
        committee_code,
        year,
        count(case when award_type_code = 'khen_thuong' and recipient_type_code = 'tap_the'
            then 1 end) as khen_thuong_tap_the,
        count(case when award_type_code = 'bieu_duong' and recipient_type_code = 'ca_nhan'
            then 1 end) as bieu_duong_ca_nhan
    from awards
    where latest = 1 and year is not null
    group by committee_code, year
),

recomputed as (
    {%- set figures = {
        'meeting_figures': ['hoi_nghi_thong_tin_thoi_su', 'hoi_nghi_tong_so', 'luot_dai_bieu'],
        'issue_figures': ['ban_tin_so_ky', 'ban_tin_so_cuon'],
        'post_figures': ['fanpage_tin_bai', 'fanpage_tin_bai_binh_quan_ngay',
            'fanpage_luot_tiep_can', 'fanpage_luot_tuong_tac'],
        'share_figures': ['ctv_tin_bai_chia_se', 'ctv_luot_tiep_can_tuong_tac',
            'ctv_so_cong_tac_vien'],
        'award_figures': ['khen_thuong_tap_the', 'bieu_duong_ca_nhan'] } %}
    {%- for relation, kpi_codes in figures.items() %}
    {%- set outer_loop = loop %}
    {%- for kpi_code in kpi_codes %}
    select
        committee_code,
        year,
        '{{ kpi_code }}' as kpi_code,
        cast({{ kpi_code }} as {{ type_double() }}) as value
    from {{ relation }}
    {%- if not (outer_loop.last and loop.last) %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
),

mart as (
    select committee_code, cast(year as integer) as year, kpi_code, value
    from {{ ref('mart_kpi_annual').include(database=false) }}
),

final as (
    select
        coalesce(mart.committee_code, recomputed.committee_code) as committee_code,
        coalesce(mart.year, recomputed.year) as year,
        coalesce(mart.kpi_code, recomputed.kpi_code) as kpi_code,
        cast(coalesce(mart.value, 0) as {{ type_double() }}) as mart_value,
        cast(coalesce(recomputed.value, 0) as {{ type_double() }}) as recomputed_value
    from mart
    full outer join recomputed
        on mart.committee_code = recomputed.committee_code
        and mart.year = recomputed.year
        and mart.kpi_code = recomputed.kpi_code
)

select * from final
