{#- Landing contract: a record that reappears with the same key in a later file
    replaces the earlier one (last file wins, by file modification time, then
    file name). Duplicates within one file were already quarantined.
    Most keys have one version: only those with several go through the window
    (ranking whole wide rows of tens of millions of activities was most of a
    staging read). -#}
{% macro latest_by_key(relation, keys) %}
    {%- set on_keys -%}
        {%- for key in keys %}versions.{{ key }} = repeated.{{ key }}{{ " and " if not loop.last }}{% endfor -%}
    {%- endset -%}
    select
        versions.*,
        1 as _version_rank
    from {{ relation }} as versions
    left join (
        select {{ keys | join(', ') }}
        from {{ relation }}
        group by {{ keys | join(', ') }}
        having count(*) > 1
    ) as repeated
        on {{ on_keys }}
    where repeated.{{ keys[0] }} is null
    union all
    select *
    from (
        select
            versions.*,
            row_number() over (
                partition by {% for key in keys %}versions.{{ key }}{{ ", " if not loop.last }}{% endfor %}
                order by versions._file_mtime desc, versions._file_name desc, versions._line_no desc
            ) as _version_rank
        from {{ relation }} as versions
        inner join (
            select {{ keys | join(', ') }}
            from {{ relation }}
            group by {{ keys | join(', ') }}
            having count(*) > 1
        ) as repeated
            on {{ on_keys }}
    ) as ranked
    where _version_rank = 1
{% endmacro %}
