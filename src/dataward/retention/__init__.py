"""Retention (RET-01..03): which rows each rule makes due, which are held, set-based."""
