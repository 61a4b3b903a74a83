-- When each identity-resolved contact started engaging, by the rule in var
-- engagement_rule: first_inbound = first activity addressed to the brand (mention,
-- message, comment/reply on a brand activity); first_answered = first such activity
-- the brand answered within the answer window. The platform and, when the activity
-- answers a campaign's post during the campaign, the campaign come with it.
with

inbound as {{ inline_import() }} (
    select * from {{ ref('int_inbound_activities_answered') }}
),

activities as {{ inline_import() }} (
    select * from {{ ref('int_activities_classified') }}
),

campaigns as {{ inline_import() }} (
    select * from {{ ref('stg_costs__campaigns') }}
),

eligible as (
    select * from inbound
    where
        contact_id is not null
    {% if var('engagement_rule') == 'first_answered' %}
            and is_answered
        {% endif %}
),

ranked as (
    select
        *,
        row_number() over (
            partition by contact_id order by created_at, platform, activity_id
        ) as engagement_rank
    from eligible
),

firsts as (
    select * from ranked
    where engagement_rank = 1
),

final as (
    select
        firsts.contact_id,
        firsts.created_at as engaged_at,
        firsts.period as engaged_period,
        firsts.platform,
        firsts.activity_id,
        firsts.activity_type,
        case
            when
                campaigns.campaign_id is not null
                and firsts.created_on >= campaigns.started_on
                and (campaigns.ended_on is null or firsts.created_on <= campaigns.ended_on)
                then campaigns.campaign_id
        end as campaign_id,
        '{{ var("engagement_rule") }}' as engagement_rule
    from firsts
    left join activities as parents
        on
            firsts.platform = parents.platform
            and firsts.parent_id = parents.activity_id
    left join campaigns
        on parents.campaign_id = campaigns.campaign_id
)

select * from final
