{#- DuckDB reads the file in place; the PostgreSQL build has no copy of it yet (its raw
    loader, bcd35.warehouse_pg, loads the Parquet raw layer only), so there it is empty. -#}
with

{% if target.type == 'duckdb' %}
source as (

    select * from {{ source('home', 'committees') }}

),
{% else %}
source as (

    select
        cast(null as {{ dbt.type_string() }}) as committee_code,
        cast(null as {{ dbt.type_string() }}) as name_vi,
        cast(null as {{ dbt.type_string() }}) as ma_huyen,
        cast(null as {{ dbt.type_string() }}) as ten_huyen,
        cast(null as {{ dbt.type_string() }}) as ma_tinh,
        cast(null as {{ dbt.type_string() }}) as ten_tinh,
        cast(null as {{ dbt.type_string() }}) as timezone,
        cast(null as {{ dbt.type_string() }}) as _loaded_at
    where 1 = 0

),
{% endif %}

renamed as (

    select
        committee_code,
        nullif(trim(name_vi), '') as name_vi,
        nullif(trim(ma_huyen), '') as district_code,
        nullif(trim(ten_huyen), '') as district_name_vi,
        nullif(trim(ma_tinh), '') as province_code,
        nullif(trim(ten_tinh), '') as province_name_vi,
        nullif(trim(timezone), '') as timezone,
        cast(nullif(_loaded_at, '') as {{ dbt.type_timestamp() }}) as loaded_at
    from source

)

select * from renamed
