"""The Dagster-free core of the pipeline: settings, warehouse paths, the published
marts, the run lock, preflight, quality, publication and retraction."""
