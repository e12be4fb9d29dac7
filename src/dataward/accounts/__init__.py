"""Staff accounts, sessions and API tokens."""
