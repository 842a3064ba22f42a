{#- Days in the calendar year given by an integer expression (366 in a leap year). -#}
{% macro days_in_year(year) -%}
    case
        when (mod({{ year }}, 4) = 0 and mod({{ year }}, 100) <> 0) or mod({{ year }}, 400) = 0
            then 366
        else 365
    end
{%- endmacro %}
