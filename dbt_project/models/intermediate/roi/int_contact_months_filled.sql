-- The ROI estimator's panel (analytics/roi.py): one row per contact and month from
-- the contact's creation (or the first data month) to the last data month; months
-- without a completed order are zeros.
with

contact_revenues as {{ inline_import() }} (
    select * from {{ ref('int_orders_aggregated_to_contact_months') }}
),

accounts as {{ inline_import() }} (
    select * from {{ ref('int_accounts_resolved') }}
),

contacts as {{ inline_import() }} (
    select * from {{ ref('stg_crm__contacts') }}
),

bounds as (
    select
        min(period) as first_period,
        max(period) as last_period
    from contact_revenues
),

months as (
    {{ month_series('first_period', 'last_period', 'bounds') }}
),

-- who can engage: only contacts with a linked social account (methods note 2);
-- customers with no social presence are no controls for those with one
can_engage as (
    select distinct contact_id from accounts
    where contact_id is not null
),

buyers as (
    select distinct contact_revenues.contact_id
    from contact_revenues
    inner join can_engage on contact_revenues.contact_id = can_engage.contact_id
),

alive as (
    select
        contacts.contact_id,
        months.period
    from contacts
    inner join buyers on contacts.contact_id = buyers.contact_id
    inner join months on months.period >= {{ month_of('contacts.created_at') }}
),

final as (
    select
        alive.contact_id,
        alive.period,
        coalesce(contact_revenues.revenue, 0.0) as revenue,
        coalesce(contact_revenues.gross_margin, 0.0) as gross_margin
    from alive
    left join contact_revenues
        on alive.contact_id = contact_revenues.contact_id and alive.period = contact_revenues.period
)

select * from final
