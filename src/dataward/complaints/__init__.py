"""Complaints about how a person's data is handled (CMP-01, issue 17)."""
