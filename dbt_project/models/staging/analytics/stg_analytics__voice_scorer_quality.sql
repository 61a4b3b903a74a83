with

source as {{ inline_import() }} (
    select * from {{ source('analytics', 'voice_scorer_quality') }}
),

renamed as (
    select
        cast(lang as string) as lang,
        cast(scorer as string) as scorer,
        cast(labelled_texts as bigint) as labelled_texts,
        cast(cv_folds as bigint) as cv_folds,
        cast(accuracy as double) as accuracy,
        cast(macro_f1 as double) as macro_f1,
        cast(labelled_negative_share as double) as labelled_negative_share,
        cast(predicted_negative_share as double) as predicted_negative_share,
        cast(is_used as boolean) as is_used
    from source
)

select * from renamed
