-- Near-duplicate texts in a crisis: mentions sharing a MinHash band key with a
-- mention by another account.
with

mentions as {{ inline_import() }} (
    select * from {{ ref('int_crisis_mentions_collected') }}
),

bands as {{ inline_import() }} (
    select * from {{ ref('stg_analytics__text_minhash_bands') }}
),

mention_bands as (
    select
        mentions.crisis_id,
        mentions.platform,
        mentions.activity_id,
        mentions.account_id,
        bands.band_no,
        bands.band_key
    from mentions
    inner join bands
        on mentions.text_hash = bands.text_hash
),

shared_bands as (
    select
        crisis_id,
        band_no,
        band_key
    from mention_bands
    group by crisis_id, band_no, band_key
    having count(distinct concat(platform, '|', account_id)) >= 2
),

duplicated as (
    select distinct
        mention_bands.crisis_id,
        mention_bands.platform,
        mention_bands.activity_id
    from mention_bands
    inner join shared_bands
        on
            mention_bands.crisis_id = shared_bands.crisis_id
            and mention_bands.band_no = shared_bands.band_no
            and mention_bands.band_key = shared_bands.band_key
),

final as (
    select
        crisis_id,
        count(*) as duplicated_mentions
    from duplicated
    group by crisis_id
)

select * from final
