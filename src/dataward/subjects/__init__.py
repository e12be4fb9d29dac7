"""Data subjects, their identities (encrypted per subject) and merging."""
