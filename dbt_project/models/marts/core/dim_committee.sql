with

committees as (

    select * from {{ ref('committees') }}

),

final as (

    select
        committee_code,
        name_vi,
        ma_huyen as district_code,
        ten_huyen as district_name_vi,
        ma_tinh as province_code,
        ten_tinh as province_name_vi,
        timezone
    from committees

)

select * from final
