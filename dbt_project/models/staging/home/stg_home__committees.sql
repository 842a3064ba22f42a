{#- The committees HOME/committees.csv lists: DuckDB reads the file in place, PostgreSQL the
    copy the raw loader put in raw.committees (bcd35.warehouse.postgres.load_raw). -#}
with

source as (

    select * from {{ source('home', 'committees') }}

),

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
