with

accounts as {{ inline_import() }} (
    select * from {{ ref('stg_social__accounts') }}
),

activities as {{ inline_import() }} (
    select * from {{ ref('stg_social__activities') }}
),

identities as {{ inline_import() }} (
    select * from {{ ref('stg_crm__identities') }}
),

-- authors seen only in activities (no accounts row) still get a row
authors_without_account_row as (
    select distinct
        activities.platform,
        activities.account_id
    from activities
    left join accounts
        on
            activities.platform = accounts.platform
            and activities.account_id = accounts.account_id
    where accounts.account_id is null
),

all_accounts as (
    select
        platform,
        account_id,
        handle,
        created_at,
        followers,
        is_brand
    from accounts
    union all
    select
        platform,
        account_id,
        cast(null as string) as handle,
        cast(null as timestamp) as created_at,
        cast(null as bigint) as followers,
        false as is_brand
    from authors_without_account_row
),

matched_by_account_id as (
    select
        platform,
        account_id,
        contact_id
    from identities
    where account_id is not null
),

matched_by_handle as (
    select
        all_accounts.platform,
        all_accounts.account_id,
        identities.contact_id
    from identities
    inner join all_accounts
        on
            identities.platform = all_accounts.platform
            and lower(trim(leading '@' from trim(identities.handle)))
            = lower(trim(leading '@' from trim(all_accounts.handle)))
    where identities.account_id is null and identities.handle is not null
),

matches as (
    select distinct
        platform,
        account_id,
        contact_id
    from (
        select * from matched_by_account_id
        union all
        select * from matched_by_handle
    ) as candidates
),

per_account as (
    select
        platform,
        account_id,
        min(contact_id) as contact_id,
        count(distinct contact_id) as matched_contacts
    from matches
    group by platform, account_id
),

final as (
    select
        all_accounts.platform,
        all_accounts.account_id,
        all_accounts.handle,
        all_accounts.created_at,
        all_accounts.followers,
        all_accounts.is_brand,
        case when per_account.matched_contacts = 1 then per_account.contact_id end as contact_id,
        coalesce(per_account.matched_contacts = 1, false) as is_resolved,
        coalesce(per_account.matched_contacts > 1, false) as is_ambiguous
    from all_accounts
    left join per_account
        on
            all_accounts.platform = per_account.platform
            and all_accounts.account_id = per_account.account_id
)

select * from final
