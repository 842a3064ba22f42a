-- The pages the office lists (HOME/reference/pages.csv) as validated by bcd35.home_reference.
with

source as (

    select * from {{ source('home', 'pages') }}

),

renamed as (

    select
        cast(page_id as {{ dbt.type_string() }}) as page_id,
        nullif(trim(page_name), '') as page_name,
        cast(is_committee_page as boolean) as is_committee_page,
        cast(confirmed_by as {{ dbt.type_string() }}) as confirmed_by,
        cast(confirmed_date as date) as confirmed_date,
        cast(source_line as integer) as source_line_number
    from source

)

select * from renamed
