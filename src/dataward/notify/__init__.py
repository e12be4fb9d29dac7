"""Notifying subjects: notice-of-change campaigns (NTC-03)."""
