-- Engagements the causal estimate covers: cohorts that started on or after the
-- estimator's window_start (they have enough history before engaging; methods
-- note 4). Naive and causal figures are both reported for these contacts, so
-- that they compare like with like. With no estimate yet, none are covered.
with

engagements as (
    select * from {{ ref('int_engagements_started') }}
),

estimate_window as (
    {{ estimate_window(ref('stg_analytics__roi_incremental_summary')) }}
),

final as (
    select
        engagements.*,
        estimate_window.window_start,
        estimate_window.window_end
    from engagements
    cross join estimate_window
    where
        engagements.engaged_period >= estimate_window.window_start
        and engagements.engaged_period <= estimate_window.window_end
)

select * from final
