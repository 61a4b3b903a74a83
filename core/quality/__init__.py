"""Data-quality gates: Great Expectations suites run inside DuckDB, their log, and report."""
