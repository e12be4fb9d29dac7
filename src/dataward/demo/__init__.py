"""A synthetic debt-collection and enforcement agency, modelled on the notice of JTR Collections.

``dataward demo create`` builds the agency's own operational database (debtors, cases,
payments, visits, body-worn video, call recordings, evidence, complaints, notes), registers
every debtor and new occupier as a dataward subject, and writes a map from the register's
datasets to the operational tables. Every value is synthetic; see docs/demo.md.
"""
