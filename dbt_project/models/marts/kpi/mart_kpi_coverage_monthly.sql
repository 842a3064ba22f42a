with

monthly as (

    select * from {{ ref('int_kpi_coverage_monthly') }}

),

coverage as (

    -- KPIs whose source has dated records (commendations carry a year only)
    select * from {{ ref('int_kpi_coverage_annual') }}
    where kpi_code in (select dated.kpi_code from {{ ref('int_kpi_coverage_monthly') }} as dated)

),

months as (

    {%- for m in range(1, 13) %}
    select {{ m }} as month
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

spine as (

    select
        coverage.committee_code,
        coverage.year,
        months.month,
        coverage.kpi_code
    from coverage
    cross join months

),

final as (

    select
        cast(spine.committee_code as {{ dbt.type_string() }}) as committee_code,
        cast(spine.year as integer) as year,
        cast(spine.month as integer) as month,
        cast(spine.kpi_code as {{ dbt.type_string() }}) as kpi_code,
        monthly.n_records is not null as has_data,
        cast(coalesce(monthly.n_records, 0) as integer) as n_records,
        cast(monthly.first_date as date) as first_date,
        cast(monthly.last_date as date) as last_date
    from spine
    left join monthly
        on
            spine.committee_code = monthly.committee_code
            and spine.year = monthly.year
            and spine.month = monthly.month
            and spine.kpi_code = monthly.kpi_code

)

select * from final
