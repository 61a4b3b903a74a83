with

source as {{ inline_import() }} (
    select * from {{ source('analytics', 'text_scores') }}
),

renamed as (
    select
        cast(text_hash as string) as text_hash,
        cast(lang_detected as string) as lang_detected,
        cast(generic_sentiment as double) as generic_sentiment,
        cast(complaint_penalty as double) as complaint_penalty,
        cast(sentiment as double) as sentiment,
        cast(polarity as string) as polarity,
        cast(scorer as string) as scorer,
        cast(scorer_version as string) as scorer_version
    from source
)

select * from renamed
