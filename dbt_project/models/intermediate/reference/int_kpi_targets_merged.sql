-- One row per committee, year and KPI code with a target: the office's own (HOME/reference)
-- where it gives one, else the repository's seed — the office sets its kế hoạch; the seed
-- only carries the targets the product was delivered with.
with

seeded as (

    select * from {{ ref('kpi_targets') }}

),

from_home as (

    select * from {{ ref('stg_home__kpi_targets') }}

),

from_seed as (

    select
        seeded.committee_code,
        cast(seeded.year as integer) as year,
        seeded.kpi_code,
        cast(seeded.target as {{ type_double() }}) as target,
        'seed' as target_source
    from seeded
    left join from_home
        on
            seeded.committee_code = from_home.committee_code
            and seeded.year = from_home.year
            and seeded.kpi_code = from_home.kpi_code
    where from_home.kpi_code is null

),

home_targets as (

    select
        committee_code,
        year,
        kpi_code,
        target,
        'home' as target_source
    from from_home

),

final as (

    select * from from_seed
    union all
    select * from home_targets

)

select * from final
