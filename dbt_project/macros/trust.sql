{#- Trust as a Beta reputation (Josang & Ismail 2002) over decayed evidence. -#}

{#- The half-life as a double: a decimal literal (180.0) would make Spark divide
    whole days in decimal arithmetic, rounded to 6 places, before the power. -#}
{% macro half_life_days() %}cast({{ var('trust_half_life_days') }} as double){% endmacro %}

{#- Weight left to evidence `days` old: halves every trust_half_life_days. -#}
{% macro trust_decay(days) %}power(0.5, cast({{ days }} as double) / {{ half_life_days() }}){% endmacro %}

{#- Expected trustworthiness: (r + 1) / (r + s + 2); 0.5 without evidence. -#}
{% macro trust_score(positive_evidence, negative_evidence) %}
    (({{ positive_evidence }}) + 1.0) / (({{ positive_evidence }}) + ({{ negative_evidence }}) + 2.0)
{% endmacro %}

{% macro trust_tier(score) %}
    case
        when {{ score }} >= {{ var('trust_tier_advocate_from') }} then 'advocate'
        when {{ score }} >= {{ var('trust_tier_trusting_from') }} then 'trusting'
        when {{ score }} >= {{ var('trust_tier_neutral_from') }} then 'neutral'
        when {{ score }} >= {{ var('trust_tier_at_risk_from') }} then 'at_risk'
        else 'betrayed'
    end
{% endmacro %}
