with

communes as (

    select * from {{ ref('communes') }}

),

final as (

    select
        ma_dvhc as commune_code,
        ten_dvhc as commune_name_vi,
        loai_dvhc as unit_type_vi,
        ma_huyen as district_code,
        ten_huyen as district_name_vi
    from communes

)

select * from final
