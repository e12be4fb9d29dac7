"""Erasure (Art 17): ground, plan, approval, execution and proof (ERA-01..03)."""
