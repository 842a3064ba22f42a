-- The committees of the reference seed, and those the home lists in HOME/committees.csv
-- that the seed does not have (the seed wins for a code in both: it is reviewed reference
-- data). A listed committee whose province, district or time zone the file does not give
-- is taken to be in the province of the home's own committee (var committee_code): a home
-- serves one province unless its file says otherwise.
with

seeded as (

    select * from {{ ref('committees') }}

),

listed as (

    select * from {{ ref('stg_home__committees') }}

),

home_committee as (

    select * from seeded
    where committee_code = '{{ var("committee_code") }}'

),

from_seed as (

    select
        committee_code,
        name_vi,
        ma_huyen as district_code,
        ten_huyen as district_name_vi,
        ma_tinh as province_code,
        ten_tinh as province_name_vi,
        timezone
    from seeded

),

from_home as (

    select
        listed.committee_code,
        coalesce(listed.name_vi, listed.committee_code) as name_vi,
        listed.district_code,
        listed.district_name_vi,
        coalesce(listed.province_code, home_committee.ma_tinh) as province_code,
        case
            when listed.province_code is null then home_committee.ten_tinh
            else listed.province_name_vi
        end as province_name_vi,
        coalesce(listed.timezone, home_committee.timezone, 'Asia/Ho_Chi_Minh') as timezone
    from listed
    left join home_committee
        on 1 = 1
    where listed.committee_code not in (select from_seed.committee_code from from_seed)

),

final as (

    select * from from_seed
    union all
    select * from from_home

)

select * from final
