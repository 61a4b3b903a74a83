{#- Incremental strategy `replace_groups` (config incremental_strategy='replace_groups'):
    the model's rows for a set of groups replace every built row of those groups.
    unique_key names the group column (e.g. contact_id), config group_marker the column
    that is null only on marker rows: a marker names a group to clear without adding a
    row, so a group left with no row loses its built rows (delete+insert keeps the
    rows of a key it is not given). DuckDB only: elsewhere these models are tables. -#}
{% macro get_incremental_replace_groups_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set group_column = arg_dict['unique_key'] -%}
    {%- set marker_column = config.require('group_marker') -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ group_column }} in (select distinct {{ group_column }} from {{ source }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ source }}
    where {{ marker_column }} is not null
{% endmacro %}
