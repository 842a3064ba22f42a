{#- A meeting's natural key (date, name, organiser and commune, normalised, within its
    committee) as the surrogate meeting_id, from a staging row's columns. -#}
{% macro meeting_id() -%}
    {{ surrogate_key(['committee_code', 'meeting_date', 'meeting_name_key',
                      'organiser_key', 'commune_code']) }}
{%- endmacro %}
