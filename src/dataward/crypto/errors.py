"""Key store and encryption errors. Messages never carry key material or plaintext."""

from __future__ import annotations

from dataward.errors import DatawardError


class KeyStoreUnavailable(DatawardError):
    code = "keystore_unavailable"
    http_status = 503
    title = "The key store cannot be reached"


class DecryptionFailed(DatawardError):
    code = "decryption_failed"
    http_status = 500
    title = "Stored data could not be decrypted"


class RotationRefused(DatawardError):
    code = "rotation_refused"
    title = "Key rotation refused"


class SubjectShredded(DatawardError):
    code = "subject_shredded"
    http_status = 410
    title = "The subject's data was destroyed"
