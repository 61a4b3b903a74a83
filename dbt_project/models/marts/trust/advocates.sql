with

advocacy as {{ inline_import() }} (
    select * from {{ ref('int_accounts_advocacy_scored') }}
),

final as (
    select
        platform,
        account_id,
        handle,
        contact_id,
        advocacy_score,
        reach,
        positive_mentions,
        trust_score,
        rank,
        in_unlocking_minority,
        negative_mentions,
        member_answers,
        activities,
        reach_percentile,
        voice_percentile,
        answers_percentile,
        platform_accounts,
        voice_z,
        reach_z
    from advocacy
)

select * from final
