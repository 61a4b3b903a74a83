{#- Every row counted once for its own platform and once for platform = 'all':
    cross join with this and select `scope` instead of `platform`. -#}
{% macro platform_scopes() %}
    (
        select 'own' as scope_kind
        union all
        select 'all' as scope_kind
    ) as scopes
{% endmacro %}

{% macro scope_of(platform_column) %}
    case when scopes.scope_kind = 'all' then 'all' else {{ platform_column }} end
{% endmacro %}
