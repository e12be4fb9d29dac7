"""The public privacy notice, rendered from a register (RULES: NTC-01)."""
