"""Cityscreen sample data: a deterministic synthetic city written in the docs/data-format.md files."""
