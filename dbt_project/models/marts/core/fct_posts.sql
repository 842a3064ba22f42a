{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_keys('int_posts_deduplicated', ['committee_code', 'post_id']) }}",
) }}

with

posts as (

    -- an incremental night: the rows of the keys that changed only (macros/changed_keys.sql)
    select * from {{ ref('int_posts_deduplicated') }}
    {{ changed_keys_only('int_posts_deduplicated', ['committee_code', 'post_id']) }}

),

final as (

    select
        post_id,
        committee_code,
        page_id,
        page_name,
        is_listed_page,
        is_committee_page,
        published_at_local,
        published_date,
        cast({{ dbt.date_trunc('month', 'published_date') }} as date) as published_month,
        cast(extract(year from published_date) as integer) as published_year,
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
    from posts

)

select * from final
