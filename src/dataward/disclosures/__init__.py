"""The disclosure log, recipients told of changes (NOT-01) and rectification (REC-01)."""
