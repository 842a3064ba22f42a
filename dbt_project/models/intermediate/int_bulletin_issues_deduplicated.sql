-- One row per bulletin issue: natural key = publication + year + issue number.
with

issues as (

    select * from {{ ref('stg_office__bulletin_issues') }}

),

final as (

    {{ deduplicate_latest(
        'issues', ['committee_code', 'publication_key', 'issue_year', 'issue_number']
    ) }}

)

select * from final
