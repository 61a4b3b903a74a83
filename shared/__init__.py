"""Helpers that know nothing of the project, for every floor (docs/architecture.md)."""
