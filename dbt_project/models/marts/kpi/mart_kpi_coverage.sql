with

coverage as (

    select * from {{ ref('int_kpi_coverage_annual') }}

),

final as (

    select
        cast(committee_code as {{ dbt.type_string() }}) as committee_code,
        cast(year as integer) as year,
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(first_date as date) as first_date,
        cast(last_date as date) as last_date,
        cast(n_months_with_data as integer) as n_months_with_data,
        cast(n_dated_records as integer) as n_dated_records,
        cast(year_first_date as date) as year_first_date,
        cast(year_last_date as date) as year_last_date,
        cast(year_n_months_with_data as integer) as year_n_months_with_data,
        cast(coverage_basis as {{ dbt.type_string() }}) as coverage_basis,
        is_partial_year
    from coverage

)

select * from final
