-- One row per share: natural key = the share link (trimmed, trailing "/" dropped).
with

shares as (

    select * from {{ ref('stg_office__collaborator_shares') }}

),

final as (

    {{ deduplicate_latest('shares', ['committee_code', 'share_id']) }}

)

select * from final
