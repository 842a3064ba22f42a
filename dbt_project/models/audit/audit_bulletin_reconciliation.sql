-- One row per bulletin issue: copies printed against copies handed out (docs/operator.md#checks).
with

issues as (select * from {{ ref('fct_bulletin_issues') }}),

final as (

    select
        issue_id,
        committee_code,
        publication_name,
        issue_year,
        issue_number,
        n_copies_printed,
        n_copies_distributed,
        n_recipient_units,
        source_file_sha256,
        source_row_number
    from issues

)

select * from final
