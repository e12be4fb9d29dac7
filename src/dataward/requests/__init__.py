"""Rights requests: intake, identity, the UK clock (SAR-01..10) and the caseworker's states."""
