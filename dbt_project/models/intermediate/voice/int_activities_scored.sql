{{
    config(
        materialized=incremental_where_supported(),
        unique_key=['platform', 'activity_id'],
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
    )
}}

{#- Incremental: a daily run rebuilds an activity when int_activities_classified
    wrote it after this table's last build read that table (classified_built_at),
    when its text's score, its account's creation date or its contact's first
    completed order differs from the one it was built with (kept in the row), or,
    for all, when young_account_days changed. Anything else keeps its built row, so
    the result equals a full rebuild. -#}
{% set build_settings = 'young_account_days=' ~ var('young_account_days') %}

with

activities as {{ inline_import() }} (
    select * from {{ ref('int_activities_classified') }}
),

accounts as {{ inline_import() }} (
    select * from {{ ref('stg_social__accounts') }}
),

text_scores as {{ inline_import() }} (
    select * from {{ ref('stg_analytics__text_scores') }}
),

orders as {{ inline_import() }} (
    select * from {{ ref('int_orders_converted') }}
),

first_orders as (
    select
        contact_id,
        min(ordered_at) as first_completed_order_at
    from orders
    where is_completed and contact_id is not null
    group by contact_id
),

{% set build_only_touched = incremental_build_tracks('classified_built_at') %}
{% if build_only_touched %}

built as {{ inline_import() }} (
    select * from {{ this }}
),

last_build as (
    select
        max(classified_built_at) as classified_built_through,
        max(case when build_settings = '{{ build_settings }}' then 0 else 1 end)
            as has_other_settings
    from built
),

-- what the built rows were scored with, per text, account and contact: distinct
-- values of a few columns, far fewer rows than the activities
built_texts as (
    select distinct
        text_hash,
        is_text_score_found,
        text_lang_detected,
        text_sentiment
    from built
    where text_hash is not null
),

changed_texts as (
    select built_texts.text_hash
    from built_texts
    left join text_scores
        on built_texts.text_hash = text_scores.text_hash
    where
        (text_scores.text_hash is not null) != built_texts.is_text_score_found
        or text_scores.lang_detected is distinct from built_texts.text_lang_detected
        or text_scores.sentiment is distinct from built_texts.text_sentiment
),

built_accounts as (
    select distinct
        platform,
        account_id,
        account_created_at
    from built
),

changed_accounts as (
    select
        built_accounts.platform,
        built_accounts.account_id
    from built_accounts
    left join accounts
        on
            built_accounts.platform = accounts.platform
            and built_accounts.account_id = accounts.account_id
    where accounts.created_at is distinct from built_accounts.account_created_at
),

built_contacts as (
    select distinct
        contact_id,
        first_completed_order_at
    from built
    where contact_id is not null
),

changed_contacts as (
    select built_contacts.contact_id
    from built_contacts
    left join first_orders
        on built_contacts.contact_id = first_orders.contact_id
    where
        first_orders.first_completed_order_at
        is distinct from built_contacts.first_completed_order_at
),

rebuilt_keys as (
    select
        activities.platform,
        activities.activity_id
    from activities
    cross join last_build
    where
        last_build.has_other_settings = 1
        or last_build.classified_built_through is null
        or activities.built_at > last_build.classified_built_through
    union
    select
        activities.platform,
        activities.activity_id
    from activities
    inner join changed_texts
        on activities.text_hash = changed_texts.text_hash
    union
    select
        activities.platform,
        activities.activity_id
    from activities
    inner join changed_accounts
        on
            activities.platform = changed_accounts.platform
            and activities.account_id = changed_accounts.account_id
    union
    select
        activities.platform,
        activities.activity_id
    from activities
    inner join changed_contacts
        on activities.contact_id = changed_contacts.contact_id
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

joined as (
    select
        to_build.platform,
        to_build.activity_id,
        to_build.account_id,
        to_build.contact_id,
        to_build.activity_type,
        to_build.created_at,
        to_build.created_on,
        to_build.period,
        to_build.parent_id,
        to_build.is_inbound,
        to_build.is_brand_author,
        to_build.is_peer_to_peer_reply,
        to_build.text_hash,
        to_build.text_hash is not null as has_text,
        coalesce(to_build.lang, text_scores.lang_detected) as lang,
        coalesce(to_build.sentiment, text_scores.sentiment) as sentiment,
        case
            when to_build.sentiment is not null then 'supplied'
            when text_scores.sentiment is not null then 'scored'
            when text_scores.text_hash is not null then 'language_not_covered'
            when to_build.text_hash is not null then 'not_scored_yet'
            else 'no_text'
        end as sentiment_source,
        accounts.created_at as account_created_at,
        (
            {{ epoch_seconds('to_build.created_at') }}
            - {{ epoch_seconds('accounts.created_at') }}
        ) / 86400.0 as account_age_days,
        first_orders.first_completed_order_at,
        text_scores.text_hash is not null as is_text_score_found,
        text_scores.lang_detected as text_lang_detected,
        text_scores.sentiment as text_sentiment,
        to_build.built_at as classified_built_at
    from to_build
    left join text_scores
        on to_build.text_hash = text_scores.text_hash
    left join accounts
        on
            to_build.platform = accounts.platform
            and to_build.account_id = accounts.account_id
    left join first_orders
        on to_build.contact_id = first_orders.contact_id
),

final as (
    select
        platform,
        activity_id,
        account_id,
        contact_id,
        activity_type,
        created_at,
        created_on,
        period,
        parent_id,
        is_inbound,
        is_brand_author,
        is_peer_to_peer_reply,
        text_hash,
        has_text,
        lang,
        sentiment,
        sentiment_source,
        coalesce(sentiment <= -0.05, false) as is_negative,
        coalesce(sentiment >= 0.05, false) as is_positive,
        account_age_days,
        coalesce(account_age_days < {{ var('young_account_days') }}, false) as is_young_account,
        coalesce(first_completed_order_at <= created_at, false) as is_known_customer,
        -- what the row was built with and when: the next run's change detection
        is_text_score_found,
        text_lang_detected,
        text_sentiment,
        account_created_at,
        first_completed_order_at,
        classified_built_at,
        '{{ build_settings }}' as build_settings,
        {{ dbt.current_timestamp() }} as built_at
    from joined
)

select * from final
