"""Envelope encryption of dataward's own copies of personal data, and crypto-shredding.

Each subject has a data key (AES-256-GCM). Data keys live in a key store that is a separate
database from the main one, wrapped by a key-encryption key (KEK) from settings. Lookups use
a blind index (HMAC-SHA256 under its own key) that also lives in the key store. Shredding a
subject deletes its data key and its index entries: every copy of its data, backups of the
main database included, can no longer be read or found.
"""
