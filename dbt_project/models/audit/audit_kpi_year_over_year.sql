-- One row per committee, year and KPI with a previous-year value above zero: the ratio of the
-- two (a warning when a KPI moved more than 50 %, see docs/operator.md#checks).
with

annual as (select * from {{ ref('mart_kpi_annual') }}),

final as (

    select
        committee_code,
        year,
        kpi_code,
        name_vi,
        value,
        previous_year_value,
        round(cast(value / previous_year_value as {{ dbt.type_numeric() }}), 3)
            as ratio_to_previous_year
    from annual
    where previous_year_value > 0 and value is not null

)

select * from final
