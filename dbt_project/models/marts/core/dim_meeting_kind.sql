with

meeting_kinds as (

    select * from {{ ref('meeting_kinds') }}

),

final as (

    select
        ma_loai as meeting_kind_code,
        ten_loai as meeting_kind_name_vi,
        bi_danh as aliases_vi
    from meeting_kinds

)

select * from final
