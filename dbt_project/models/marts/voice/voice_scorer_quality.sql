with

quality as {{ inline_import() }} (
    select * from {{ ref('stg_analytics__voice_scorer_quality') }}
),

final as (
    select
        lang,
        scorer,
        labelled_texts,
        cv_folds,
        accuracy,
        macro_f1,
        labelled_negative_share,
        predicted_negative_share,
        is_used
    from quality
)

select * from final
