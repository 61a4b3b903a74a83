{#- Landing contract: a record that reappears with the same key in a later file
    replaces the earlier one (last file wins, by file modification time, then
    file name). Duplicates within one file were already quarantined. With
    `only_keys_in` (a relation of keys), only those keys are ranked: every version
    of them, in every file, so a file that arrives late but is older cannot win.

    With `rank_repeated_keys_only` (the large staged tables' whole builds), a key
    found once passes through and only keys found several times are ranked: the same
    rows, without sorting the whole relation, text and all, by key (at L 10-15M rows
    a table; the staged social activities built alone in DuckDB 14.6-15.0 -> 11.0 s,
    a plain copy 9.7 s). Keys are never null here
    (ingestion quarantines a row without its key). Only for models built as tables:
    staging views read this way through Arrow hung DuckDB 1.5.6 twice at L
    (docs/performance.md). -#}
{% macro latest_by_key(relation, keys, only_keys_in=none, rank_repeated_keys_only=false) %}
    {%- if rank_repeated_keys_only and not only_keys_in %}
        {{ _latest_by_key_ranking_repeated_keys(relation, keys) }}
    {%- else %}
        {{ _latest_by_key_ranked(relation, keys, only_keys_in) }}
    {%- endif %}
{% endmacro %}

{% macro _latest_by_key_ranked(relation, keys, only_keys_in) %}
    select *
    from (
        select
            versions_of_keys.*,
            row_number() over (
                partition by {% for key in keys %}versions_of_keys.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
                order by
                    versions_of_keys._file_mtime desc,
                    versions_of_keys._file_name desc,
                    versions_of_keys._line_no desc
            ) as _version_rank
        from {{ relation }} as versions_of_keys
        {% if only_keys_in %}
            inner join {{ only_keys_in }} as wanted_keys
                on
                {% for key in keys %}
                    {{ 'and ' if not loop.first }}versions_of_keys.{{ key }} = wanted_keys.{{ key }}
                {% endfor %}
        {% endif %}
    ) as versions
    where _version_rank = 1
{% endmacro %}

{% macro _latest_by_key_ranking_repeated_keys(relation, keys) %}
    {%- set key_list = keys | join(', ') -%}
    with repeated_keys as (
        select {{ key_list }}
        from {{ relation }}
        group by {{ key_list }}
        having count(*) > 1
    )

    select
        versions_of_keys.*,
        1 as _version_rank
    from {{ relation }} as versions_of_keys
    where not exists (
        select 1
        from repeated_keys
        where
            {% for key in keys %}
                {{ 'and ' if not loop.first }}repeated_keys.{{ key }} = versions_of_keys.{{ key }}
            {% endfor %}
    )

    union all

    {{ _latest_by_key_ranked(relation, keys, 'repeated_keys') }}
{% endmacro %}

{#- The large landing entities (social activities, orders, order lines) are staged as
    tables, not views like the other staging models: they are read several times a run
    (models, their tests, the quality checks), and as views each read re-ran the
    last-file-wins window over every row (at L 10-15M rows, 3-8 s a read). Where the
    engine allows they are incremental: a daily run ranks again only the keys that occur
    in files ingested since the last build and replaces their rows, so the table equals
    a full build (a retraction drops the table: the next run builds it whole).

    These are the CTEs such a model builds from (the model defines `ingested_files`,
    the ingestion log): `build`, the log's newest ingested_at, stored on every row as
    inputs_ingested_through; and, when the run only adds to the built table,
    `keys_in_new_files`: the keys of `relation` in files logged after the newest
    value built. Each CTE ends with a comma. -#}
{% macro staged_build_ctes(relation, keys, build_only_touched) %}
build as (
    select coalesce(max(ingested_at), cast('1970-01-01' as timestamp)) as inputs_ingested_through
    from ingested_files
),
{% if build_only_touched %}

    last_build as (
        {#- an empty built table has no newest value: every file is new -#}
        select
            coalesce(max(inputs_ingested_through), cast('1970-01-01' as timestamp))
                as inputs_ingested_through
        from {{ this }}
    ),

    new_files as (
        {{ files_loaded_after('last_build') }}
    ),

    keys_in_new_files as (
        select distinct {% for key in keys %}rows_of_new_files.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
        from {{ relation }} as rows_of_new_files
        inner join new_files
            on rows_of_new_files._file_hash = new_files.file_hash
    ),

{% endif %}
{% endmacro %}

{#- The landing files the ingestion log shows loaded after `last_build`'s
    inputs_ingested_through (a one-row CTE); reads the model's `ingested_files`. -#}
{% macro files_loaded_after(last_build) %}
    select ingested_files.file_hash
    from ingested_files
    cross join {{ last_build }}
    where
        ingested_files.status = 'loaded'
        and ingested_files.ingested_at > {{ last_build }}.inputs_ingested_through
{% endmacro %}
