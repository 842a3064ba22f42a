{{ config(pre_hook="{{ retract_raw_rows('commendation') }}") }}

with

source as (

    select * from {{ raw_source('office', 'commendation') }}

),

renamed as (

    select
        _committee_code as committee_code,
        -- the partition's year (with committee_code), as the raw layer's _year: the year
        -- of its Năm thành tích
        nam_thanh_tich as year,
        _file_sha256 as source_file_sha256,
        _sheet as source_sheet,
        _row_number as source_row_number,
        _ingest_seq as ingest_seq,
        _loaded_at as loaded_at,
        nam_thanh_tich as achievement_year,
        hinh_thuc as award_type_code,
        hinh_thuc_goc as award_type_as_written,
        doi_tuong as recipient_type_code,
        -- a person's name is pseudonymised; a collective's name is kept
        case
            when doi_tuong = 'ca_nhan' then {{ pseudonymise('ten_norm') }}
            else ten
        end as recipient_name,
        case
            when doi_tuong = 'ca_nhan' then {{ pseudonymise('ten_norm') }}
            else ten_norm
        end as recipient_key,
        so_quyet_dinh as decision_number,
        ngay_quyet_dinh as decision_date
    from source

)

select * from renamed
