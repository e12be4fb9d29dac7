"""The outbox: messages to subjects and staff, written with the change that causes them."""
