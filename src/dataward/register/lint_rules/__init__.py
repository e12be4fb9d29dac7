"""Lint rules, grouped by topic. Importing this package registers every rule."""

from dataward.register.lint_rules import basics  # noqa: F401
