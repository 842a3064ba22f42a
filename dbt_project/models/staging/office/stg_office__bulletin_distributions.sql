{{ config(pre_hook="{{ retract_raw_rows('bulletin_distribution') }}") }}

with

source as (

    select * from {{ raw_source('office', 'bulletin_distribution') }}

),

renamed as (

    select
        _committee_code as committee_code,
        -- the partition's year (with committee_code), as the raw layer's _year: the year
        -- of the issue's Năm
        nam as year,
        _file_sha256 as source_file_sha256,
        _sheet as source_sheet,
        _row_number as source_row_number,
        _ingest_seq as ingest_seq,
        _loaded_at as loaded_at,
        ten_an_pham as publication_name,
        ten_an_pham_norm as publication_key,
        nam as issue_year,
        so as issue_number,
        don_vi_nhan as recipient_unit_name,
        don_vi_nhan_norm as recipient_unit_key,
        so_luong as n_copies,
        ma_dvhc as commune_code,
        xa_thi_tran as commune_as_written
    from source

)

select * from renamed
