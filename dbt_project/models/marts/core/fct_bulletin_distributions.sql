with

distributions as (

    select * from {{ ref('int_bulletin_distributions_deduplicated') }}

),

final as (

    select
        distribution_id,
        issue_id,
        committee_code,
        publication_name,
        cast(issue_year as integer) as issue_year,
        issue_number,
        recipient_unit_name,
        commune_code,
        n_copies,
        n_source_lines,
        source_file_sha256,
        source_sheet,
        source_row_number
    from distributions

)

select * from final
