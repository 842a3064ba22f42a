{{ config(pre_hook=[
    "{{ keep_retracted_rows('meta_posts') }}",
    "{{ retract_raw_rows('meta_posts') }}",
]) }}

with

source as (

    select * from {{ raw_source('meta', 'meta_posts') }}

),

renamed as (

    select
        _committee_code as committee_code,
        -- the partition's year (with committee_code), as the raw layer's _year: the year
        -- of the publish time, the page's local time
        cast(extract(year from publish_time) as bigint) as year,
        _file_sha256 as source_file_sha256,
        _sheet as source_sheet,
        _row_number as source_row_number,
        _ingest_seq as ingest_seq,
        _loaded_at as loaded_at,
        _period_start as export_period_start,
        _period_end as export_period_end,
        post_id,
        page_id,
        page_name,
        -- the page's local time (Asia/Ho_Chi_Minh), as Meta exports it: a post at 23:30
        -- on 31 December belongs to that year
        publish_time as published_at_local,
        cast(publish_time as date) as published_date,
        permalink,
        post_type,
        title,
        -- a blank metric is unknown, not zero: nulls stay null
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
        duration_sec as duration_seconds
    from source

)

select * from renamed
