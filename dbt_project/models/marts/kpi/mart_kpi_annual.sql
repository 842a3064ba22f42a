with

kpi_values as (

    select * from {{ ref('int_kpi_values_annual') }}

),

catalogue as (

    select * from {{ ref('kpi_catalogue') }}

),

targets as (

    select * from {{ ref('int_kpi_targets_merged') }}

),

coverage as (

    select * from {{ ref('int_kpi_coverage_annual') }}

),

years as (

    select distinct
        committee_code,
        year
    from kpi_values

),

spine as (

    select
        years.committee_code,
        years.year,
        catalogue.kpi_code,
        catalogue.sort_order,
        catalogue.name_vi,
        catalogue.unit_vi,
        catalogue.name_en,
        catalogue.unit_en,
        catalogue.definition,
        catalogue.additive
    from years
    cross join catalogue

),

valued as (

    select
        spine.committee_code,
        spine.year,
        spine.kpi_code,
        spine.sort_order,
        spine.name_vi,
        spine.unit_vi,
        spine.name_en,
        spine.unit_en,
        spine.definition,
        spine.additive,
        -- null when the year has no records of the KPI's source (e.g. no meeting log):
        -- "no data" is not "zero meetings"
        kpi_values.value
    from spine
    left join kpi_values
        on
            spine.committee_code = kpi_values.committee_code
            and spine.year = kpi_values.year
            and spine.kpi_code = kpi_values.kpi_code

),

compared as (

    select
        valued.*,
        targets.target,
        targets.target_source,
        previous.value as previous_year_value,
        coverage.n_months_with_data,
        coverage.is_partial_year,
        previous_coverage.is_partial_year as is_previous_year_partial
    from valued
    left join targets
        on
            valued.committee_code = targets.committee_code
            and valued.year = targets.year
            and valued.kpi_code = targets.kpi_code
    left join valued as previous
        on
            valued.committee_code = previous.committee_code
            and valued.year = previous.year + 1
            and valued.kpi_code = previous.kpi_code
    left join coverage
        on
            valued.committee_code = coverage.committee_code
            and valued.year = coverage.year
            and valued.kpi_code = coverage.kpi_code
    left join coverage as previous_coverage
        on
            valued.committee_code = previous_coverage.committee_code
            and valued.year = previous_coverage.year + 1
            and valued.kpi_code = previous_coverage.kpi_code

),

final as (

    select
        cast(committee_code as {{ dbt.type_string() }}) as committee_code,
        cast(year as integer) as year,
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(sort_order as integer) as sort_order,
        cast(name_vi as {{ dbt.type_string() }}) as name_vi,
        cast(unit_vi as {{ dbt.type_string() }}) as unit_vi,
        cast(name_en as {{ dbt.type_string() }}) as name_en,
        cast(unit_en as {{ dbt.type_string() }}) as unit_en,
        cast(definition as {{ dbt.type_string() }}) as definition,
        additive as is_additive,
        value,
        value is not null as has_data,
        cast(target as {{ type_double() }}) as target,
        cast(target_source as {{ dbt.type_string() }}) as target_source,
        case
            when target > 0
                then cast(
                    round(cast(100 * value / target as {{ dbt.type_numeric() }}), 1)
                    as {{ type_double() }}
                )
        end as pct_of_target,
        previous_year_value,
        value - previous_year_value as change_vs_previous_year,
        cast(coalesce(n_months_with_data, 0) as integer) as n_months_with_data,
        coalesce(is_partial_year, true) as is_partial_year,
        -- only meaningful when there is a previous year to compare with
        case
            when previous_year_value is not null then is_previous_year_partial
        end as is_previous_year_partial
    from compared

)

select * from final
