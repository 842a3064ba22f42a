-- The annual KPIs (docs/development.md#kpis) rolled up to the province: summed over the committees
-- of each province (dim_committee.province_code), except the two KPIs that are not sums of the
-- committees' values: fanpage_tin_bai_binh_quan_ngay is recomputed from the province's
-- fanpage_tin_bai (÷ days in the year, 2 decimals), and ctv_so_cong_tac_vien counts the
-- distinct collaborators of the province (one person sharing for two committees is one).
with

annual as (

    select * from {{ ref('mart_kpi_annual') }}

),

committees as (

    select * from {{ ref('dim_committee') }}

),

shares as (

    select * from {{ ref('fct_collaborator_shares') }}

),

summed as (

    select
        committees.province_code,
        max(committees.province_name_vi) as province_name_vi,
        annual.year,
        annual.kpi_code,
        max(annual.sort_order) as sort_order,
        max(annual.name_vi) as name_vi,
        max(annual.unit_vi) as unit_vi,
        max(annual.name_en) as name_en,
        max(annual.unit_en) as unit_en,
        -- null when no committee of the province has records of the KPI's source
        sum(annual.value) as value,
        count(*) as n_committees,
        count(annual.value) as n_committees_with_data
    from annual
    inner join committees
        on annual.committee_code = committees.committee_code
    group by committees.province_code, annual.year, annual.kpi_code

),

posts_per_day as (

    select
        province_code,
        year,
        cast(
            round(
                cast(value as {{ dbt.type_numeric() }}) / {{ days_in_year('year') }},
                2
            ) as {{ type_double() }}
        ) as value
    from summed
    where kpi_code = 'fanpage_tin_bai'

),

collaborators as (

    select
        committees.province_code,
        shares.shared_year as year,
        cast(count(distinct shares.collaborator_pseudonym) as {{ type_double() }}) as value
    from shares
    inner join committees
        on shares.committee_code = committees.committee_code
    group by committees.province_code, shares.shared_year

),

recomputed as (

    select
        summed.province_code,
        summed.province_name_vi,
        summed.year,
        summed.kpi_code,
        summed.sort_order,
        summed.name_vi,
        summed.unit_vi,
        summed.name_en,
        summed.unit_en,
        case summed.kpi_code
            when 'fanpage_tin_bai_binh_quan_ngay' then posts_per_day.value
            when 'ctv_so_cong_tac_vien' then collaborators.value
            else summed.value
        end as value,
        summed.n_committees,
        summed.n_committees_with_data
    from summed
    left join posts_per_day
        on
            summed.province_code = posts_per_day.province_code
            and summed.year = posts_per_day.year
    left join collaborators
        on
            summed.province_code = collaborators.province_code
            and summed.year = collaborators.year

),

final as (

    select
        cast(province_code as {{ dbt.type_string() }}) as province_code,
        cast(province_name_vi as {{ dbt.type_string() }}) as province_name_vi,
        cast(year as integer) as year,
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(sort_order as integer) as sort_order,
        cast(name_vi as {{ dbt.type_string() }}) as name_vi,
        cast(unit_vi as {{ dbt.type_string() }}) as unit_vi,
        cast(name_en as {{ dbt.type_string() }}) as name_en,
        cast(unit_en as {{ dbt.type_string() }}) as unit_en,
        cast(value as {{ type_double() }}) as value,
        value is not null as has_data,
        cast(n_committees as integer) as n_committees,
        cast(n_committees_with_data as integer) as n_committees_with_data
    from recomputed

)

select * from final
