{{
    config(
        materialized=incremental_where_supported(),
        unique_key=['text_hash', 'lang_key'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{#- Matching words against the taxonomy is the costliest step of the voice models,
    and a text's topics depend on nothing but its words, language and the taxonomy:
    each distinct text is matched once, again only when the taxonomy changes. -#}

with

scored as {{ inline_import() }} (
    select * from {{ ref('int_activities_scored') }}
),

texts as {{ inline_import() }} (
    select * from {{ ref('stg_social__activities') }}
),

topic_terms as {{ inline_import() }} (
    select * from {{ ref('topic_terms') }}
),

taxonomy as (
    select
        md5(
            concat_ws(
                ',', array_sort(array_agg(distinct concat(topic, '|', lang, '|', term)))
            )
        ) as taxonomy_version
    from topic_terms
),

member_texts as (
    select
        scored.text_hash,
        coalesce(scored.lang, '?') as lang_key,
        max(scored.lang) as lang,
        max({{ padded_words('texts.text') }}) as text_words
    from scored
    inner join texts
        on
            scored.platform = texts.platform
            and scored.activity_id = texts.activity_id
    where
        not scored.is_brand_author
        and scored.has_text
    {% if is_incremental() %}
            and not exists (
                select 1
                from {{ this }} as done
                inner join taxonomy
                    on done.taxonomy_version = taxonomy.taxonomy_version
                where
                    done.text_hash = scored.text_hash
                    and done.lang_key = coalesce(scored.lang, '?')
            )
        {% endif %}
    group by scored.text_hash, coalesce(scored.lang, '?')
),

matched as (
    select distinct
        member_texts.text_hash,
        member_texts.lang_key,
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
    select
        member_texts.text_hash,
        member_texts.lang_key,
        coalesce(matched.topic, '(none)') as topic,
        taxonomy.taxonomy_version
    from member_texts
    left join matched
        on
            member_texts.text_hash = matched.text_hash
            and member_texts.lang_key = matched.lang_key
    cross join taxonomy
)

select * from final
