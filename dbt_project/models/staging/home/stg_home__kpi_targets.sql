-- The office's targets (kế hoạch) as validated by bcd35.home_reference: typed.
with

source as (

    select * from {{ source('home', 'kpi_targets') }}

),

renamed as (

    select
        cast(committee_code as {{ dbt.type_string() }}) as committee_code,
        cast(year as integer) as year,
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(target as {{ type_double() }}) as target,
        cast(source_line as integer) as source_line_number
    from source

)

select * from renamed
