{#- Landing contract: a record that reappears with the same key in a later file
    replaces the earlier one (last file wins, by file modification time, then
    file name). Duplicates within one file were already quarantined. -#}
{% macro latest_by_key(relation, keys) %}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ keys | join(', ') }}
                order by _file_mtime desc, _file_name desc, _line_no desc
            ) as _version_rank
        from {{ relation }}
    ) as versions
    where _version_rank = 1
{% endmacro %}
