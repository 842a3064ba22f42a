{{ config(pre_hook=[
    "{{ keep_retracted_rows('collaborator_shares') }}",
    "{{ retract_raw_rows('collaborator_shares') }}",
]) }}

with

source as (

    select * from {{ raw_source('office', 'collaborator_shares') }}

),

renamed as (

    select
        _committee_code as committee_code,
        -- the partition's year (with committee_code), as the raw layer's _year: the year
        -- of the share's date
        cast(extract(year from ngay) as bigint) as year,
        _file_sha256 as source_file_sha256,
        _sheet as source_sheet,
        _row_number as source_row_number,
        _ingest_seq as ingest_seq,
        _loaded_at as loaded_at,
        ngay as shared_date,
        -- personal data leaves the raw layer only as keyed hashes: the collaborator's name
        -- and the share link (which often names the person's profile); the link is
        -- normalised first (trimmed, trailing "/" dropped): it is the share's natural key
        {{ pseudonymise('cong_tac_vien_norm') }} as collaborator_pseudonym,
        {{ pseudonymise(normalise_link('lien_ket_norm')) }} as share_id,
        don_vi as unit_name,
        don_vi_norm as unit_key,
        nen_tang as platform_code,
        nen_tang_goc as platform_as_written,
        -- the committee's own post that was shared (a page link, not personal data)
        bai_goc as original_post_link,
        luot_tiep_can as n_reach,
        luot_tuong_tac as n_interactions
    from source

)

select * from renamed
