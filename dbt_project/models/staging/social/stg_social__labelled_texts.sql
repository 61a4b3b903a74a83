with

source as (
    {{ latest_by_key(source('raw', 'social__labelled_texts'), ['label_id']) }}
),

activities as {{ inline_import() }} (
    select * from {{ ref('stg_social__activities') }}
),

-- a label names an activity by id (and platform, when the id is not unique across
-- platforms) or carries its own text; the activity's text wins when both are given
matched as (
    select
        source.label_id,
        source.label,
        min(activities.text) as activity_text,
        count(activities.activity_id) as matching_activities
    from source
    left join activities
        on
            source.activity_id = activities.activity_id
            and (source.platform is null or source.platform = activities.platform)
    group by source.label_id, source.label
),

renamed as (
    select
        cast(source.label_id as string) as label_id,
        cast(source.platform as string) as platform,
        cast(source.activity_id as string) as activity_id,
        cast(source.label as string) as label,
        cast(coalesce(matched.activity_text, source.text) as string) as text,
        md5(coalesce(matched.activity_text, source.text)) as text_hash,
        case
            when matched.activity_text is not null then 'activity'
            when source.text is not null then 'text'
            else 'unresolved'
        end as text_source,
        matched.matching_activities,
        source._file_name as source_file_name
    from source
    inner join matched
        on source.label_id = matched.label_id
)

select * from renamed
