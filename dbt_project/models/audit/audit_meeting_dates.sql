-- One row per meeting with the year of the log it was recorded in: a meeting log is kept per
-- year, so a date outside the year of most of its file's lines is a typing error
-- (docs/operator.md#checks: "every date inside its year"), e.g. 15/03/2014 in the 2024 log.
with

meetings as (select * from {{ ref('fct_meetings') }}),

years_per_file as (

    select source_file_sha256, meeting_year, count(*) as n_meetings
    from meetings
    group by 1, 2

),

file_year as (

    select source_file_sha256, meeting_year as log_year
    from (
        select
            *,
            row_number() over (
                partition by source_file_sha256 order by n_meetings desc, meeting_year desc
            ) as rank_in_file
        from years_per_file
    ) as ranked
    where rank_in_file = 1

),

final as (

    select
        meetings.meeting_id,
        meetings.committee_code,
        meetings.meeting_date,
        meetings.meeting_name,
        meetings.meeting_year,
        file_year.log_year,
        meetings.source_file_sha256,
        meetings.source_row_number
    from meetings
    inner join file_year
        on meetings.source_file_sha256 = file_year.source_file_sha256

)

select * from final
