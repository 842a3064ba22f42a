-- One row per pre-2025 administrative unit of the district (and the district itself) with
-- the commune-level unit it belongs to since the 1 July 2025 arrangement (null for the
-- district, which was abolished as a level).
with

communes as (

    select * from {{ ref('communes') }}

),

merger as (

    select * from {{ ref('commune_merger_2025') }}

),

final as (

    select
        communes.ma_dvhc as commune_code,
        communes.ten_dvhc as commune_name_vi,
        communes.loai_dvhc as unit_type_vi,
        communes.loai_dvhc = 'Huyện' as is_district_level,
        communes.ma_huyen as district_code,
        communes.ten_huyen as district_name_vi,
        merger.commune_code_2025,
        merger.commune_name_2025_vi,
        merger.unit_type_2025_vi,
        merger.effective_date as merged_on,
        merger.legal_basis as merger_legal_basis,
        merger.is_verified as is_merger_verified
    from communes
    left join merger
        on communes.ma_dvhc = merger.commune_code

)

select * from final
