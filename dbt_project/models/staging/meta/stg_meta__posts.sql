with

source as (

    select * from {{ source('meta', 'meta_posts') }}

),

renamed as (

    select
        _committee_code as committee_code,
        _file_sha256 as source_file_sha256,
        _row_number as source_row_number,
        _ingest_seq as ingest_seq,
        _period_start as export_period_start,
        _period_end as export_period_end,
        post_id,
        page_id,
        page_name,
        publish_time as published_at_local,
        cast(publish_time as date) as published_date,
        permalink,
        post_type,
        title,
        reach as n_reach,
        reactions as n_reactions,
        comments as n_comments,
        shares as n_shares,
        reactions_comments_shares as n_reactions_comments_shares,
        views as n_views,
        impressions as n_impressions,
        total_clicks as n_total_clicks,
        link_clicks as n_link_clicks,
        other_clicks as n_other_clicks,
        duration_sec
    from source

)

select * from renamed
