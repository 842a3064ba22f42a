-- One row per committee, year and KPI code of the catalogue in a year with any record: the
-- first and last date with data of the KPI's source, the months with data, and whether the
-- year is partial. A year is partial for a KPI when the dated records of its source do not
-- reach from January to December (they start after January or stop before December); for a
-- KPI whose source has no dates (commendations) or no records that year, the committee's
-- dated records of all sources that year decide. Built once: the report, the CSV and the
-- year close read the same flag.
with

monthly as (

    select * from {{ ref('int_kpi_coverage_monthly') }}

),

catalogue as (

    select * from {{ ref('kpi_catalogue') }}

),

years as (

    select distinct
        committee_code,
        year
    from {{ ref('int_kpi_values_annual') }}

),

by_kpi as (

    select
        committee_code,
        year,
        kpi_code,
        min(first_date) as first_date,
        max(last_date) as last_date,
        count(distinct month) as n_months_with_data,
        sum(n_records) as n_records
    from monthly
    group by 1, 2, 3

),

by_year as (

    select
        committee_code,
        year,
        min(first_date) as first_date,
        max(last_date) as last_date,
        count(distinct month) as n_months_with_data
    from monthly
    group by 1, 2

),

spine as (

    select
        years.committee_code,
        years.year,
        catalogue.kpi_code
    from years
    cross join catalogue

),

joined as (

    select
        spine.committee_code,
        spine.year,
        spine.kpi_code,
        by_kpi.first_date,
        by_kpi.last_date,
        coalesce(by_kpi.n_months_with_data, 0) as n_months_with_data,
        coalesce(by_kpi.n_records, 0) as n_dated_records,
        by_year.first_date as year_first_date,
        by_year.last_date as year_last_date,
        coalesce(by_year.n_months_with_data, 0) as year_n_months_with_data,
        case
            when by_kpi.first_date is not null then 'kpi_source'
            else 'committee_year'
        end as coverage_basis
    from spine
    left join by_kpi
        on
            spine.committee_code = by_kpi.committee_code
            and spine.year = by_kpi.year
            and spine.kpi_code = by_kpi.kpi_code
    left join by_year
        on
            spine.committee_code = by_year.committee_code
            and spine.year = by_year.year

),

final as (

    select
        *,
        case
            when coverage_basis = 'kpi_source'
                then
                    extract(month from first_date) > 1
                    or extract(month from last_date) < 12
            when year_first_date is null then true
            else
                extract(month from year_first_date) > 1
                or extract(month from year_last_date) < 12
        end as is_partial_year
    from joined

)

select * from final
