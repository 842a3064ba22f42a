with

kpi_values as (

    select * from {{ ref('int_kpi_values_monthly') }}

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
        years.committee_code,
        years.year,
        months.month,
        catalogue.kpi_code,
        catalogue.sort_order,
        catalogue.name_vi,
        catalogue.unit_vi,
        catalogue.name_en
    from years
    cross join months
    cross join catalogue
    where catalogue.additive

),

final as (

    select
        cast(spine.committee_code as {{ dbt.type_string() }}) as committee_code,
        cast(spine.year as integer) as year,
        cast(spine.month as integer) as month,
        cast(
            {{ dbt.concat([
                "cast(spine.year as " ~ dbt.type_string() ~ ")",
                "'-'",
                "lpad(cast(spine.month as " ~ dbt.type_string() ~ "), 2, '0')",
            ]) }} as {{ dbt.type_string() }}
        ) as year_month,
        make_date(spine.year, spine.month, 1) as month_start,
        cast(spine.kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(spine.sort_order as integer) as sort_order,
        cast(spine.name_vi as {{ dbt.type_string() }}) as name_vi,
        cast(spine.unit_vi as {{ dbt.type_string() }}) as unit_vi,
        cast(spine.name_en as {{ dbt.type_string() }}) as name_en,
        coalesce(kpi_values.value, 0) as value
    from spine
    left join kpi_values
        on
            spine.committee_code = kpi_values.committee_code
            and spine.year = kpi_values.year
            and spine.month = kpi_values.month
            and spine.kpi_code = kpi_values.kpi_code

)

select * from final
