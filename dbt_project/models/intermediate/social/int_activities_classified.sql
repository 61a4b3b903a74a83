{{
    config(
        materialized=incremental_where_supported(),
        unique_key=['platform', 'activity_id'],
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
    )
}}

{#- The largest fact model: a daily run rebuilds only the activities it must.
    An activity is rebuilt when its version comes from a file not built before,
    when its author's resolution (contact, brand, resolved) differs from what was
    built or the author is new, or when its parent is rebuilt (has_known_parent and
    is_parent_by_brand follow the parent). Anything else keeps its built row, so
    the result equals a full rebuild. -#}

with

activities as {{ inline_import() }} (
    select * from {{ ref('stg_social__activities') }}
),

accounts as {{ inline_import() }} (
    select * from {{ ref('int_accounts_resolved') }}
),

{% set build_only_touched = incremental_build_tracks('source_file_hash') %}
{% if build_only_touched %}

built as {{ inline_import() }} (
    select * from {{ this }}
),

built_files as (
    select distinct source_file_hash from built
),

built_authors as (
    select distinct
        platform,
        account_id,
        contact_id,
        is_author_resolved,
        is_brand_author
    from built
),

changed_authors as (
    select
        accounts.platform,
        accounts.account_id
    from accounts
    left join built_authors
        on
            accounts.platform = built_authors.platform
            and accounts.account_id = built_authors.account_id
    where
        built_authors.account_id is null
        or built_authors.contact_id is distinct from accounts.contact_id
        or built_authors.is_author_resolved != accounts.is_resolved
        or built_authors.is_brand_author != accounts.is_brand
),

touched as (
    select
        activities.platform,
        activities.activity_id
    from activities
    left join built_files
        on activities.source_file_hash = built_files.source_file_hash
    left join changed_authors
        on
            activities.platform = changed_authors.platform
            and activities.account_id = changed_authors.account_id
    where
        built_files.source_file_hash is null
        or changed_authors.account_id is not null
),

rebuilt_keys as (
    select
        platform,
        activity_id
    from touched
    union
    select
        activities.platform,
        activities.activity_id
    from activities
    inner join touched
        on
            activities.platform = touched.platform
            and activities.parent_id = touched.activity_id
),

{% endif %}

to_build as (
    select activities.*
    from activities
    {% if build_only_touched %}
        inner join rebuilt_keys
            on
                activities.platform = rebuilt_keys.platform
                and activities.activity_id = rebuilt_keys.activity_id
    {% endif %}
),

{% if build_only_touched %}

wanted_parents as (
    select distinct
        platform,
        parent_id
    from to_build
),

{% endif %}

parents as (
    select
        activities.platform,
        activities.activity_id,
        accounts.is_brand
    from activities
    inner join accounts
        on
            activities.platform = accounts.platform
            and activities.account_id = accounts.account_id
    {% if build_only_touched %}
        inner join wanted_parents
            on
                activities.platform = wanted_parents.platform
                and activities.activity_id = wanted_parents.parent_id
    {% endif %}
),

joined as (
    select
        to_build.platform,
        to_build.activity_id,
        to_build.account_id,
        to_build.activity_type,
        to_build.created_at,
        to_build.parent_id,
        to_build.campaign_id,
        to_build.like_count,
        to_build.share_count,
        to_build.lang,
        to_build.sentiment,
        md5(to_build.text) as text_hash,
        to_build.source_file_hash,
        authors.contact_id,
        authors.is_resolved as is_author_resolved,
        authors.is_brand as is_brand_author,
        parents.activity_id is not null as has_known_parent,
        coalesce(parents.is_brand, false) as is_parent_by_brand
    from to_build
    inner join accounts as authors
        on
            to_build.platform = authors.platform
            and to_build.account_id = authors.account_id
    left join parents
        on
            to_build.platform = parents.platform
            and to_build.parent_id = parents.activity_id
),

final as (
    select
        *,
        cast(created_at as date) as created_on,
        {{ month_of('created_at') }} as period,
        not is_brand_author
        and (
            activity_type in ('mention', 'message')
            or (activity_type in ('comment', 'reply') and is_parent_by_brand)
        ) as is_inbound,
        is_brand_author and activity_type = 'post' as is_brand_post,
        is_brand_author and activity_type in ('comment', 'reply') as is_brand_reply,
        not is_brand_author
        and activity_type in ('comment', 'reply')
        and has_known_parent
        and not is_parent_by_brand as is_peer_to_peer_reply,
        -- when this row was written: models built from this one rebuild what is newer
        {{ dbt.current_timestamp() }} as built_at
    from joined
)

select * from final
