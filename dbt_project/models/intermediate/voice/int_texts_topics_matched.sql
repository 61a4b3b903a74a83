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
    -- text_hash is the md5 of the text: one text per hash, its words computed once
    select
        scored.text_hash,
        coalesce(scored.lang, '?') as lang_key,
        max(scored.lang) as lang,
        {{ padded_words('max(texts.text)') }} as text_words
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

terms as (
    select
        topic,
        lang,
        replace(lower(term), '*', '') as stem,
        term like '%*' as is_prefix
    from topic_terms
),

-- a term of letters only is a word: matched by equality (or as a word's start)
-- against each text's words, the same matches as `like` on the padded words; other
-- terms (phrases, terms with other characters) are matched with `like` as written
word_terms as (
    select *
    from terms
    where {{ is_letters_only('stem') }}
),

other_terms as (
    select *
    from terms
    where not {{ is_letters_only('stem') }}
),

words_of_texts as (
    select distinct *
    from ({{ words_of_padded('member_texts', ['text_hash', 'lang_key', 'lang'], 'text_words') }}) as split_words
),

-- whole words and word starts apart: the first is an equality, so a hash join
matched as (
    select
        words_of_texts.text_hash,
        words_of_texts.lang_key,
        word_terms.topic
    from words_of_texts
    inner join word_terms
        on
            words_of_texts.lang = word_terms.lang
            and not word_terms.is_prefix
            and words_of_texts.word = word_terms.stem

    union

    select
        words_of_texts.text_hash,
        words_of_texts.lang_key,
        word_terms.topic
    from words_of_texts
    inner join word_terms
        on
            words_of_texts.lang = word_terms.lang
            and word_terms.is_prefix
            and left(words_of_texts.word, length(word_terms.stem)) = word_terms.stem

    union

    select
        member_texts.text_hash,
        member_texts.lang_key,
        other_terms.topic
    from member_texts
    inner join other_terms
        on
            member_texts.lang = other_terms.lang
            and member_texts.text_words like concat(
                '% ', other_terms.stem, case when other_terms.is_prefix then '%' else ' %' end
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
