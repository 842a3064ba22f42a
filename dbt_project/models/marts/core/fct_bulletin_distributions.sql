with

distributions as (

    select * from {{ ref('int_bulletin_distributions_deduplicated') }}

),

final as (

    select
        {{ surrogate_key(['committee_code', 'publication_key', 'issue_year', 'issue_number',
                          'recipient_unit_key']) }} as distribution_id,
        {{ surrogate_key(['committee_code', 'publication_key', 'issue_year',
                          'issue_number']) }} as issue_id,
        committee_code,
        publication_name,
        issue_year,
        issue_number,
        recipient_unit_name,
        commune_code,
        n_copies,
        source_file_sha256,
        source_sheet,
        source_row_number
    from distributions

)

select * from final
