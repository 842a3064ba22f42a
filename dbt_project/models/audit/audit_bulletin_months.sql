-- One row per committee and month of every year with bulletin issues: the number of issues
-- released that month (a warning when a month has none, see docs/operator.md#checks).
with

issues as (select * from {{ ref('fct_bulletin_issues') }}),

years as (select distinct committee_code, issue_year as year from issues),

months as (

    {%- for m in range(1, 13) %}
    select {{ m }} as month{% if not loop.last %} union all{% endif %}
    {%- endfor %}

),

released as (

    select
        committee_code,
        cast(extract(year from release_month) as integer) as year,
        cast(extract(month from release_month) as integer) as month,
        count(*) as n_issues
    from issues
    group by 1, 2, 3

),

final as (

    select
        years.committee_code,
        years.year,
        months.month,
        coalesce(released.n_issues, 0) as n_issues
    from years
    cross join months
    left join released
        on years.committee_code = released.committee_code
        and years.year = released.year
        and months.month = released.month

)

select * from final
