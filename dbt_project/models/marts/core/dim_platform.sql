with

platforms as (

    select * from {{ ref('platforms') }}

),

final as (

    select
        ma_nen_tang as platform_code,
        ten_nen_tang as platform_name,
        bi_danh as aliases
    from platforms

)

select * from final
