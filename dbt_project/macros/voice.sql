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
