with

source as (
    {{ latest_by_key(source('raw', 'reference__fx_rates'), ['date', 'currency']) }}
),

renamed as (
    select
        cast(date as date) as rate_on,
        cast(currency as string) as currency,
        cast(rate_to_reporting as double) as rate_to_reporting,
        _file_name as source_file_name
    from source
)

select * from renamed
