with

distributions as (

    select * from {{ ref('int_bulletin_distributions_deduplicated') }}

),

recipient_units as (

    select * from {{ ref('int_recipient_units_mapped') }}

),

final as (

    select
        distributions.distribution_id,
        distributions.issue_id,
        distributions.committee_code,
        distributions.publication_name,
        cast(distributions.issue_year as integer) as issue_year,
        distributions.issue_number,
        distributions.recipient_unit_name,
        recipient_units.recipient_unit_id,
        distributions.commune_code,
        recipient_units.commune_code as recipient_commune_code,
        recipient_units.commune_code_2025 as recipient_commune_code_2025,
        distributions.n_copies,
        distributions.n_source_lines,
        distributions.source_file_sha256,
        distributions.source_sheet,
        distributions.source_row_number
    from distributions
    left join recipient_units
        on
            distributions.committee_code = recipient_units.committee_code
            and distributions.recipient_unit_name = recipient_units.recipient_unit_name

)

select * from final
