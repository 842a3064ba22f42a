-- One row per committee, year and additive KPI: the annual value and the sum of its months.
with

annual as (select * from {{ ref('mart_kpi_annual') }} where is_additive),
monthly as (select * from {{ ref('mart_kpi_monthly') }}),

monthly_sums as (

    select committee_code, year, kpi_code, sum(value) as sum_of_months
    from monthly group by 1, 2, 3

),

final as (

    select
        annual.committee_code,
        annual.year,
        annual.kpi_code,
        annual.name_vi,
        coalesce(annual.value, 0) as annual_value,
        coalesce(monthly_sums.sum_of_months, 0) as sum_of_months
    from annual
    left join monthly_sums
        on annual.committee_code = monthly_sums.committee_code
        and annual.year = monthly_sums.year
        and annual.kpi_code = monthly_sums.kpi_code

)

select * from final
