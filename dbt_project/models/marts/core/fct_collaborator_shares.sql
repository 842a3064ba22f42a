{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_keys('int_collaborator_shares_deduplicated', ['committee_code', 'share_id']) }}",
) }}

with

shares as (

    -- an incremental night: the rows of the keys that changed only (macros/changed_keys.sql)
    select * from {{ ref('int_collaborator_shares_deduplicated') }}
    {{ changed_keys_only('int_collaborator_shares_deduplicated', ['committee_code', 'share_id']) }}

),

final as (

    select
        share_id,
        committee_code,
        shared_date,
        cast({{ dbt.date_trunc('month', 'shared_date') }} as date) as shared_month,
        cast(extract(year from shared_date) as integer) as shared_year,
        collaborator_pseudonym,
        unit_name,
        platform_code,
        original_post_link,
        n_reach,
        n_interactions,
        n_source_lines,
        source_file_sha256,
        source_sheet,
        source_row_number
    from shares

)

select * from final
