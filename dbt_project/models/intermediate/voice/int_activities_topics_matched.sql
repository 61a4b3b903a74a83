with

scored as (
    select * from {{ ref('int_activities_scored') }}
),

texts as (
    select * from {{ ref('stg_social__activities') }}
),

topic_terms as (
    select * from {{ ref('topic_terms') }}
),

member_texts as (
    select
        scored.platform,
        scored.activity_id,
        scored.lang,
        {{ padded_words('texts.text') }} as text_words
    from scored
    inner join texts
        on
            scored.platform = texts.platform
            and scored.activity_id = texts.activity_id
    where not scored.is_brand_author and scored.has_text
),

matched as (
    select distinct
        member_texts.platform,
        member_texts.activity_id,
        topic_terms.topic
    from member_texts
    inner join topic_terms
        on
            member_texts.lang = topic_terms.lang
            and member_texts.text_words like concat(
                '% ',
                replace(lower(topic_terms.term), '*', ''),
                case when topic_terms.term like '%*' then '%' else ' %' end
            )
),

final as (
    select * from matched
)

select * from final
