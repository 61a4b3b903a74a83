-- A crisis's negative voice, activity by activity: the negative member activities
-- on its platform (any platform for 'all') during it.
with

crises as {{ inline_import() }} (
    select * from {{ ref('int_crises_detected') }}
),

scored as {{ inline_import() }} (
    select * from {{ ref('int_activities_scored') }}
),

final as (
    select
        crises.crisis_id,
        scored.platform,
        scored.activity_id,
        scored.account_id,
        scored.created_at,
        scored.text_hash,
        scored.is_young_account,
        scored.is_known_customer
    from crises
    inner join scored
        on
            (crises.platform = 'all' or crises.platform = scored.platform)
            and crises.started_on <= scored.created_on
            and crises.ended_on >= scored.created_on
    where not scored.is_brand_author and scored.is_negative
)

select * from final
