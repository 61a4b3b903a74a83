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

{#- The contacts to rebuild in a per-contact table built from `upstream` (a CTE whose
    rows carry contact_id and built_at): those with a row `upstream` wrote after this
    table's last build read it (`built`'s newest `watermark`; none yet: all), and
    those `built` has and `upstream` no longer has (their rows must go). -#}
{% macro contacts_rewritten_or_gone(upstream, built, watermark) %}
    select {{ upstream }}.contact_id
    from {{ upstream }}
    cross join (select max({{ watermark }}) as built_through from {{ built }}) as last_build
    where
        last_build.built_through is null
        or {{ upstream }}.built_at > last_build.built_through
    union
    select built_contacts.contact_id
    from (select distinct contact_id from {{ built }}) as built_contacts
    left join (select distinct contact_id from {{ upstream }}) as upstream_contacts
        on built_contacts.contact_id = upstream_contacts.contact_id
    where upstream_contacts.contact_id is null
{% endmacro %}
