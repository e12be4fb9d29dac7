"""Audit actions the retention package writes."""

# One batch of one kind of dataward's own data swept: counts, period and cutoff only.
OWN_DATA_SWEPT = "retention.own_data_swept"
