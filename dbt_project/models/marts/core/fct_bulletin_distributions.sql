with

distributions as (

    select * from {{ ref('int_bulletin_distributions_deduplicated') }}

),

recipient_units as (

    select * from {{ ref('int_recipient_units_mapped') }}

),

communes as (

    select * from {{ ref('int_communes_mapped_to_2025') }}

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
        -- a 2025 xã's code is the code of one of its own merged units, which maps to it
        -- (a data test of commune_merger_2025): one join serves registers before and after
        communes.commune_code_2025,
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
    left join communes
        on distributions.commune_code = communes.commune_code

)

select * from final
