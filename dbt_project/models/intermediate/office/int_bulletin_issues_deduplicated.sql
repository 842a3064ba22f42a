-- One row per bulletin issue: natural key = publication + year + issue number.
with

issues as (

    select * from {{ ref('stg_office__bulletin_issues') }}

),

deduplicated as (

    {{ deduplicate_latest(
        'issues', ['committee_code', 'publication_key', 'issue_year', 'issue_number']
    ) }}

),

final as (

    select
        {{ surrogate_key(['committee_code', 'publication_key', 'issue_year',
                          'issue_number']) }} as issue_id,
        committee_code,
        publication_name,
        issue_year,
        issue_number,
        release_month,
        release_date,
        n_copies_printed,
        n_pages,
        printer_name,
        cost_vnd,
        n_source_lines,
        source_file_sha256,
        source_sheet,
        source_row_number
    from deduplicated

)

select * from final
