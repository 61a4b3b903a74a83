with

scored as {{ inline_import() }} (
    select * from {{ ref('int_activities_scored') }}
),

text_topics as {{ inline_import() }} (
    select * from {{ ref('int_texts_topics_matched') }}
),

final as (
    select distinct
        scored.platform,
        scored.activity_id,
        text_topics.topic
    from scored
    inner join text_topics
        on
            scored.text_hash = text_topics.text_hash
            and coalesce(scored.lang, '?') = text_topics.lang_key
    where
        not scored.is_brand_author
        and scored.has_text
        and text_topics.topic <> '(none)'
)

select * from final
