"""Publication: store a register, publish its notice, keep their versions and changes.

The register and notice packages stay pure (parse, check, render, compare); this package
is where they meet the database and the audit chain (RULES: NTC-03).
"""
