{#-
    The combination of columns is unique (a composite primary key). Same contract as
    dbt_utils.unique_combination_of_columns, which cannot be installed here (no dbt hub);
    null values compare equal, as in GROUP BY.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

{% endtest %}
