{#- Key tests on what was rebuilt (issue 23). A day's run rewrites a few rows of the
    large incremental tables, and a `primary_key` test reading the whole table was most
    of the dbt tests' time at L (the nine: 24.6 of 38 thread-seconds of a new day). A test
    given `rebuilt_rows_marker` (a column holding the start of the build that wrote the
    row: `built_at`, `staged_at`) looks at the rows built since its last pass and counts their keys
    over the whole table; ops.key_checks keeps, per check, the newest marker it has
    passed on (checked_through) and when it last read the whole table
    (fully_checked_at).

    The whole table is read when: the check has no record or its table was empty; its
    last whole read is older than var('key_checks_full_every_days') (7: a row changed
    outside a dbt build is found within a week); `--full-refresh`; on engines other than
    DuckDB (Spark builds these tables whole anyway). A check that fails or does not run
    leaves its record as it was, so the rows it found stay in the next check's scope
    until a check passes on them. -#}

{% macro key_check_name(model, columns) %}
    {{ return(model.identifier ~ '(' ~ (columns | join(', ')) ~ ')') }}
{% endmacro %}

{#- Whether this run's key checks may look at rebuilt rows only at all. -#}
{% macro key_checks_may_be_scoped() %}
    {{ return(execute and target.type == 'duckdb' and not flags.FULL_REFRESH) }}
{% endmacro %}

{#- Of the checks `names`, those whose record allows a scoped check: one that passed
    before, with a whole read within var('key_checks_full_every_days'). -#}
{% macro usable_key_checks(names) %}
    {%- set kept = run_query(
        "select count(*) from information_schema.tables where table_catalog = current_database() "
        ~ "and table_schema = 'ops' and table_name = 'key_checks'"
    ) -%}
    {%- if kept.rows[0][0] == 0 or not names -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for name in names -%}{%- do quoted.append(sql_string(name)) -%}{%- endfor -%}
    {%- set usable = run_query(
        "select check_name from ops.key_checks where check_name in (" ~ (quoted | join(', '))
        ~ ") and checked_through is not null and fully_checked_at >= now() - to_days("
        ~ (var('key_checks_full_every_days') | int) ~ ")"
    ) -%}
    {{ return(usable.columns[0].values() | list) }}
{% endmacro %}

{#- The name of the check's record when this run's check may look at rebuilt rows
    only; none when it must read the whole table. -#}
{% macro key_check_scoped(model, columns, marker) %}
    {%- if marker is none or model.identifier is not defined or not key_checks_may_be_scoped() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set name = key_check_name(model, columns) -%}
    {{ return(name if name in usable_key_checks([name]) else none) }}
{% endmacro %}

{#- on-run-end: each passing primary_key test with a marker records the newest marker
    of its table (the rows it has now checked), and the time when it read the whole
    table. Which ones read it whole is decided, as the tests decided, before anything
    is written: one query for all of them. -#}
{% macro record_key_checks(results) %}
    {%- if execute and target.type == 'duckdb' -%}
        {%- set passed = [] -%}
        {%- set names = [] -%}
        {%- for result in results
            if result.node.resource_type == 'test' and result.status == 'pass'
            and result.node.test_metadata is not none
            and result.node.test_metadata.name == 'primary_key'
            and result.node.test_metadata.kwargs.get('rebuilt_rows_marker') -%}
            {%- set kwargs = result.node.test_metadata.kwargs -%}
            {%- set tested = graph.nodes.get(result.node.attached_node) -%}
            {%- if tested is not none -%}
                {%- set relation = api.Relation.create(
                    database=tested.database, schema=tested.schema,
                    identifier=tested.alias or tested.name
                ) -%}
                {%- set name = key_check_name(relation, kwargs['columns']) -%}
                {%- do passed.append((name, relation, kwargs['rebuilt_rows_marker'])) -%}
                {%- do names.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if passed -%}
            {%- set scoped = usable_key_checks(names) if key_checks_may_be_scoped() else [] -%}
            {%- do run_query(
                "create schema if not exists ops; "
                ~ "create table if not exists ops.key_checks (check_name varchar primary key, "
                ~ "checked_through timestamp with time zone, fully_checked_at timestamp with time zone)"
            ) -%}
            {%- for name, relation, marker in passed -%}
                {%- set whole = name not in scoped -%}
                {%- do run_query(
                    "insert into ops.key_checks select " ~ sql_string(name) ~ ", "
                    ~ "(select max(" ~ marker ~ ") from " ~ relation ~ "), "
                    ~ ("now()" if whole else "null")
                    ~ " on conflict (check_name) do update set checked_through = excluded.checked_through"
                    ~ (", fully_checked_at = excluded.fully_checked_at" if whole else "")
                ) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
