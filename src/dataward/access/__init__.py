"""Access packages (ACC-01..03): a verified requester's data found in the organisation's own
sources, redacted of third parties, reviewed by a caseworker and handed over through an
expiring link."""
