"""Lint rules, grouped by topic. Importing this package registers every rule."""

from dataward.register.lint_rules import (  # noqa: F401
    bases,
    basics,
    complaints,
    forms,
    inventory,
    marketing,
    retention,
    rights,
    sharing,
    silence,
    unspecified,
)
