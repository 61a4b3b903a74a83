-- Engagements the causal estimate covers: cohorts that started on or after the
-- estimator's window_start (they have enough history before engaging; methods
-- note 4), and whose contact was a customer before engaging (CRM creation month
-- before the engagement month: a contact who engaged before becoming a customer has
-- no history to compare with, analytics/roi.py). Naive and causal figures are both
-- reported for these contacts, so that they compare like with like. With no
-- estimate yet, none are covered.
with

engagements as {{ inline_import() }} (
    select * from {{ ref('int_engagements_started') }}
),

contacts as {{ inline_import() }} (
    select * from {{ ref('stg_crm__contacts') }}
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
    inner join contacts
        on engagements.contact_id = contacts.contact_id
    cross join estimate_window
    where
        engagements.engaged_period >= estimate_window.window_start
        and engagements.engaged_period <= estimate_window.window_end
        and {{ month_of('contacts.created_at') }} < engagements.engaged_period
)

select * from final
