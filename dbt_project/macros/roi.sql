{#- The return on investment of community work, used by every ROI mart:
    ROI = (margin - cost) / cost; null, not a division error, when there is no cost -#}
{% macro roi(margin, cost) %}case when {{ cost }} > 0 then ({{ margin }} - {{ cost }}) / {{ cost }} end{% endmacro %}
