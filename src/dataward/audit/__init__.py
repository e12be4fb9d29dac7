"""The audit chain: every state change, hash-chained and verifiable (DESIGN: Audit)."""
