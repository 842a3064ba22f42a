-- One row per share: natural key = the share link (trimmed, trailing "/" dropped), which
-- staging turned into the pseudonym share_id.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[
        "{{ record_changed_keys(ref('stg_office__collaborator_shares'), 'collaborator_shares', ['committee_code', 'share_id']) }}",
        "{{ delete_changed_keys('int_collaborator_shares_deduplicated', ['committee_code', 'share_id']) }}",
    ],
) }}

with

shares as (

    -- an incremental night: the rows of the keys that changed only (macros/changed_keys.sql)
    select * from {{ ref('stg_office__collaborator_shares') }}
    {{ changed_keys_only('int_collaborator_shares_deduplicated', ['committee_code', 'share_id']) }}

),

deduplicated as (

    {{ deduplicate_latest('shares', ['committee_code', 'share_id']) }}

),

final as (

    select
        share_id,
        committee_code,
        shared_date,
        collaborator_pseudonym,
        unit_name,
        unit_key,
        platform_code,
        original_post_link,
        n_reach,
        n_interactions,
        n_source_lines,
        source_file_sha256,
        source_sheet,
        source_row_number
    from deduplicated

)

select * from final
