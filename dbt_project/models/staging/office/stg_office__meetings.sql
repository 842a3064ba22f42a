{{ config(pre_hook=[
    "{{ keep_retracted_rows('meeting_log') }}",
    "{{ retract_raw_rows('meeting_log') }}",
]) }}

with

source as (

    select * from {{ raw_source('office', 'meeting_log') }}

),

renamed as (

    select
        _committee_code as committee_code,
        -- the partition's year (with committee_code), as the raw layer's _year: the year
        -- of the meeting's date
        cast(extract(year from ngay) as bigint) as year,
        _file_sha256 as source_file_sha256,
        _sheet as source_sheet,
        _row_number as source_row_number,
        _ingest_seq as ingest_seq,
        _loaded_at as loaded_at,
        ngay as meeting_date,
        ten_hoi_nghi as meeting_name,
        ten_hoi_nghi_norm as meeting_name_key,
        loai_hoi_nghi as meeting_kind_code,
        loai_hoi_nghi_goc as meeting_kind_as_written,
        don_vi_to_chuc as organiser_name,
        don_vi_to_chuc_norm as organiser_key,
        ma_dvhc as commune_code,
        xa_thi_tran as commune_as_written,
        so_dai_bieu as n_attendees,
        hinh_thuc as meeting_format,
        -- presiding officials are public office holders: the only names kept
        -- (docs/analyst.md#marts); free-text notes (ghi_chu) may name anyone and stay in the raw
        -- layer
        chu_tri as presiding_official
    from source

)

select * from renamed
