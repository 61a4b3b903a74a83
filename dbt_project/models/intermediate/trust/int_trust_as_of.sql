-- the data's last observed day: events dated after it (an answer window still open
-- at the end of the data) are not known yet
with

events as {{ inline_import() }} (
    select * from {{ ref('int_trust_events_unioned') }}
),

final as (
    select max(observed_on) as as_of_on
    from events
)

select * from final
