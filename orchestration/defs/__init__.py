"""Dagster definitions, one folder per domain; `orchestration.definitions` assembles them."""
