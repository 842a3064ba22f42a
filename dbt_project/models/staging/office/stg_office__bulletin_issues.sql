{{ config(pre_hook="{{ retract_raw_rows('bulletin_issue') }}") }}

with

source as (

    select * from {{ raw_source('office', 'bulletin_issue') }}

),

renamed as (

    select
        _committee_code as committee_code,
        -- the partition's year (with committee_code), as the raw layer's _year: the year
        -- of its Năm
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
        thang_phat_hanh as release_month,
        so_luong_in as n_copies_printed,
        ngay_phat_hanh as release_date,
        so_trang as n_pages,
        don_vi_in as printer_name,
        kinh_phi as cost_vnd
    from source

)

select * from renamed
