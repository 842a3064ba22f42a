-- One row per post whose export carries "Reactions, Comments and Shares": the export's total
-- against the sum of its parts (docs/operator.md#checks).
with

posts as (select * from {{ ref('fct_posts') }}),

final as (

    select
        post_id,
        committee_code,
        published_year,
        page_name,
        n_reactions_comments_shares,
        coalesce(n_reactions, 0) + coalesce(n_comments, 0) + coalesce(n_shares, 0)
            as n_reactions_plus_comments_plus_shares,
        source_file_sha256,
        source_row_number
    from posts
    where n_reactions_comments_shares is not null

)

select * from final
