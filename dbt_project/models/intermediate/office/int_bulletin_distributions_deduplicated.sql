-- One row per bulletin issue and receiving unit: natural key = publication + year + number
-- + receiving unit.
with

distributions as (

    select * from {{ ref('stg_office__bulletin_distributions') }}

),

deduplicated as (

    {{ deduplicate_latest(
        'distributions',
        ['committee_code', 'publication_key', 'issue_year', 'issue_number',
         'recipient_unit_key']
    ) }}

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
        n_source_lines,
        source_file_sha256,
        source_sheet,
        source_row_number
    from deduplicated

)

select * from final
