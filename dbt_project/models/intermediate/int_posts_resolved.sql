-- One row per post with its final lifetime metrics: the export covering the latest period
-- wins (standard Meta file names), then the latest ingestion.
with

posts as (

    select * from {{ ref('stg_meta__posts') }}

),

final as (

    {{ deduplicate_latest(
        'posts',
        ['committee_code', 'post_id'],
        order_by=['export_period_end desc nulls last']
    ) }}

)

select * from final
