{#- The return on investment of community work, used by every ROI mart:
    ROI = (margin - cost) / cost; null, not a division error, when there is no cost -#}
{% macro roi(margin, cost) %}case when {{ cost }} > 0 then ({{ margin }} - {{ cost }}) / {{ cost }} end{% endmacro %}

{#- A sum of money that does not depend on the order its rows come in. Doubles added
    in another order can differ in their last bit, and a figure rounded to the cent
    then lands on either side of a half cent: a run after an interrupted one
    published a naive margin of 431.33 where a run over everything published 431.32.
    Each value is taken to 9 decimals, the values are added exactly, and the sum is
    handed back as a double. -#}
{% macro exact_sum(expression) -%}
    cast(sum(cast({{ expression }} as decimal(38, 9))) as double)
{%- endmacro %}
