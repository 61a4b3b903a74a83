{#- Signs of artificial amplification, weighted into [0, 1] (crisis_events). -#}
{% macro amplification_score() %}
    round(
        0.35 * new_account_share
        + 0.30 * duplicate_text_share
        + 0.25 * (1.0 - known_customer_share)
        + 0.10 * burst_synchrony,
        4
    )
{% endmacro %}

{#- Lower-cased letters only, words separated by single spaces and padded with one
    space each side: `like '% term%'` then matches a term at the start of a word. -#}
{% macro padded_words(expr) %}{{ return(adapter.dispatch('padded_words')(expr)) }}{% endmacro %}
{% macro default__padded_words(expr) %}concat(' ', regexp_replace(lower({{ expr }}), '[^\p{L}]+', ' ', 'g'), ' '){% endmacro %}
{% macro spark__padded_words(expr) %}concat(' ', regexp_replace(lower({{ expr }}), '[^\\p{L}]+', ' '), ' '){% endmacro %}

{#- One row per word of a padded_words() value (column `word`), with the relation's
    other columns named in `columns`. -#}
{% macro words_of_padded(relation, columns, padded) %}{{ return(adapter.dispatch('words_of_padded')(relation, columns, padded)) }}{% endmacro %}
{% macro default__words_of_padded(relation, columns, padded) %}
    select {{ columns | join(', ') }}, unnest(string_split(trim({{ padded }}), ' ')) as word
    from {{ relation }}
{% endmacro %}
{% macro spark__words_of_padded(relation, columns, padded) %}
    select {{ columns | join(', ') }}, explode(split(trim({{ padded }}), ' ')) as word
    from {{ relation }}
{% endmacro %}

{#- True when `expr` is one or more letters and nothing else. -#}
{% macro is_letters_only(expr) %}{{ return(adapter.dispatch('is_letters_only')(expr)) }}{% endmacro %}
{% macro default__is_letters_only(expr) %}regexp_full_match({{ expr }}, '\p{L}+'){% endmacro %}
{% macro spark__is_letters_only(expr) %}({{ expr }} rlike '^\\p{L}+$'){% endmacro %}
