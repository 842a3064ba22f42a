-- One row per post with its final lifetime metrics (SPEC §2): the export covering the
-- latest period wins (standard Meta file names), then the latest ingestion, then the later
-- line. An export whose file name gives no period loses to every dated export. The page's
-- place on the office's list (HOME/reference/pages.csv) comes along: the KPIs leave out the
-- posts of a page listed as not the committee's.
with

posts as (

    select * from {{ ref('stg_meta__posts') }}

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
        published_at_local,
        published_date,
        post_type,
        title,
        permalink,
        n_reach,
        n_reactions,
        n_comments,
        n_shares,
        n_reactions_comments_shares,
        n_views,
        n_impressions,
        n_total_clicks,
        n_link_clicks,
        n_other_clicks,
        duration_seconds,
        export_period_start,
        export_period_end,
        n_source_lines,
        source_file_sha256,
        source_sheet,
        source_row_number
    from deduplicated
    left join pages
        on deduplicated.page_id = pages.page_id

)

select * from final
