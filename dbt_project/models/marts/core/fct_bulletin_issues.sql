with

issues as (

    select * from {{ ref('int_bulletin_issues_deduplicated') }}

),

distributions as (

    select * from {{ ref('fct_bulletin_distributions') }}

),

distributed as (

    select
        issue_id,
        count(*) as n_recipient_units,
        sum(n_copies) as n_copies_distributed
    from distributions
    group by issue_id

),

keyed as (

    select
        {{ surrogate_key(['committee_code', 'publication_key', 'issue_year',
                          'issue_number']) }} as issue_id,
        *
    from issues

),

final as (

    select
        keyed.issue_id,
        keyed.committee_code,
        keyed.publication_name,
        keyed.issue_year,
        keyed.issue_number,
        keyed.release_month,
        keyed.release_date,
        keyed.n_copies_printed,
        coalesce(distributed.n_copies_distributed, 0) as n_copies_distributed,
        coalesce(distributed.n_recipient_units, 0) as n_recipient_units,
        keyed.n_pages,
        keyed.printer_name,
        keyed.cost_vnd,
        keyed.source_file_sha256,
        keyed.source_sheet,
        keyed.source_row_number
    from keyed
    left join distributed
        on keyed.issue_id = distributed.issue_id

)

select * from final
