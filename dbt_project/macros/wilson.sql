{#- Wilson score interval for a share successes / trials at 95 % (z = 1.96):
    (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n); null when trials = 0. -#}
{% macro wilson_bound(successes, trials, side) %}
    case when {{ trials }} > 0 then
        (
            cast({{ successes }} as double) / {{ trials }}
            + 1.9208 / {{ trials }}
            {{ '-' if side == 'low' else '+' }} 1.96 * sqrt(
                (cast({{ successes }} as double) / {{ trials }})
                * (1 - cast({{ successes }} as double) / {{ trials }}) / {{ trials }}
                + 0.9604 / ({{ trials }} * {{ trials }})
            )
        ) / (1 + 3.8416 / {{ trials }})
    end
{% endmacro %}
