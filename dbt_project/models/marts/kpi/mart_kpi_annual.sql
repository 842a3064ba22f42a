with

kpi_values as (select * from {{ ref('int_kpi_values_annual') }}),
catalogue as (select * from {{ ref('kpi_catalogue') }}),
targets as (select * from {{ ref('kpi_targets') }}),
years as (select distinct committee_code, year from kpi_values),

spine as (

    select years.committee_code, years.year, catalogue.kpi_code, catalogue.sort_order,
        catalogue.name_vi, catalogue.unit_vi, catalogue.additive
    from years
    cross join catalogue

),

valued as (

    select
        spine.*,
        -- null when the year has no records of the KPI's source (e.g. no meeting log):
        -- "no data" is not "zero meetings"
        kpi_values.value
    from spine
    left join kpi_values
        on spine.committee_code = kpi_values.committee_code
        and spine.year = kpi_values.year
        and spine.kpi_code = kpi_values.kpi_code

),

compared as (

    select
        valued.*,
        targets.target,
        previous.value as previous_year_value
    from valued
    left join targets
        on valued.committee_code = targets.committee_code
        and valued.year = targets.year
        and valued.kpi_code = targets.kpi_code
    left join valued as previous
        on valued.committee_code = previous.committee_code
        and valued.year = previous.year + 1
        and valued.kpi_code = previous.kpi_code

),

final as (

    select
        committee_code,
        year,
        kpi_code,
        sort_order,
        name_vi,
        unit_vi,
        additive as is_additive,
        value,
        value is not null as has_data,
        target,
        case when target > 0 then round(cast(100 * value / target as {{ dbt.type_numeric() }}), 1)
        end as pct_of_target,
        previous_year_value,
        value - previous_year_value as change_vs_previous_year
    from compared

)

select * from final
