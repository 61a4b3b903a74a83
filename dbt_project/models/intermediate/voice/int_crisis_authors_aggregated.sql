-- Who voiced a crisis: its negative authors, the share of young accounts and of
-- known customers among them.
with

mentions as {{ inline_import() }} (
    select * from {{ ref('int_crisis_mentions_collected') }}
),

authors as (
    select
        crisis_id,
        platform,
        account_id,
        max(case when is_young_account then 1 else 0 end) as is_young,
        max(case when is_known_customer then 1 else 0 end) as is_customer
    from mentions
    group by crisis_id, platform, account_id
),

final as (
    select
        crisis_id,
        count(*) as authors,
        avg(cast(is_young as double)) as new_account_share,
        avg(cast(is_customer as double)) as known_customer_share
    from authors
    group by crisis_id
)

select * from final
