with

issues as (

    select * from {{ ref('int_bulletin_issues_deduplicated') }}

),

distributions as (

    select * from {{ ref('int_bulletin_distributions_deduplicated') }}

),

distributed as (

    select
        issue_id,
        count(*) as n_recipient_units,
        cast(sum(n_copies) as bigint) as n_copies_distributed
    from distributions
    group by issue_id

),

final as (

    select
        issues.issue_id,
        issues.committee_code,
        issues.publication_name,
        cast(issues.issue_year as integer) as issue_year,
        issues.issue_number,
        issues.release_month,
        issues.release_date,
        issues.n_copies_printed,
        coalesce(distributed.n_copies_distributed, 0) as n_copies_distributed,
        coalesce(distributed.n_recipient_units, 0) as n_recipient_units,
        issues.n_pages,
        issues.printer_name,
        issues.cost_vnd,
        issues.n_source_lines,
        issues.source_file_sha256,
        issues.source_sheet,
        issues.source_row_number
    from issues
    left join distributed
        on issues.issue_id = distributed.issue_id

)

select * from final
