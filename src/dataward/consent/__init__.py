"""Consent, marketing preferences under PECR, objections, restriction and decisions."""
