-- One row per post with its final lifetime metrics (docs/formats.md): the export covering the
-- latest period wins (standard Meta file names), then the latest ingestion, then the later
-- line. An export whose file name gives no period loses to every dated export. The page's
-- place on the office's list (HOME/reference/pages.csv) comes along: the KPIs leave out the
-- posts of a page listed as not the committee's.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ record_changed_keys(ref('stg_meta__posts'), 'meta_posts', ['committee_code', 'post_id']) }}",
        "{{ delete_changed_keys('int_posts_deduplicated', ['committee_code', 'post_id']) }}",
    ],
) }}

with

posts as (

    -- an incremental night: the rows of the keys that changed only (macros/changed_keys.sql)
    select * from {{ ref('stg_meta__posts') }}
    {{ changed_keys_only('int_posts_deduplicated', ['committee_code', 'post_id']) }}

),

pages as (

    select * from {{ ref('stg_home__pages') }}

),

deduplicated as (

    {{ deduplicate_latest(
        'posts',
        ['committee_code', 'post_id'],
        order_by=['export_period_end desc nulls last']
    ) }}

),

final as (

    select
        deduplicated.post_id,
        deduplicated.committee_code,
        deduplicated.page_id,
        deduplicated.page_name,
        pages.page_id is not null as is_listed_page,
        pages.is_committee_page,
        deduplicated.published_at_local,
        deduplicated.published_date,
        deduplicated.post_type,
        deduplicated.title,
        deduplicated.permalink,
        deduplicated.n_reach,
        deduplicated.n_reactions,
        deduplicated.n_comments,
        deduplicated.n_shares,
        deduplicated.n_reactions_comments_shares,
        deduplicated.n_views,
        deduplicated.n_impressions,
        deduplicated.n_total_clicks,
        deduplicated.n_link_clicks,
        deduplicated.n_other_clicks,
        deduplicated.duration_seconds,
        deduplicated.export_period_start,
        deduplicated.export_period_end,
        deduplicated.n_source_lines,
        deduplicated.source_file_sha256,
        deduplicated.source_sheet,
        deduplicated.source_row_number
    from deduplicated
    left join pages
        on deduplicated.page_id = pages.page_id

)

select * from final
