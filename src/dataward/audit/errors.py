"""Audit errors: signed heads' keys, settings and files, and their delivery.

Delivery errors are job errors: a ``JobRefused`` parks the delivery at once, a plain
``JobFailed`` is tried again later with backoff. No message names a URL or an address.
"""

from __future__ import annotations

from dataward.errors import ConfigurationError, ValidationFailed
from dataward.jobs.errors import JobFailed, JobRefused


class HeadSettingsInvalid(ConfigurationError):
    code = "audit_head_settings_invalid"
    title = "The signed-head settings are not valid"


class HeadKeyInvalid(HeadSettingsInvalid):
    code = "audit_head_key_invalid"
    title = "The audit head key is not valid"


class HeadsUnreadable(ValidationFailed):
    code = "audit_heads_unreadable"
    title = "A file of signed heads cannot be read"


class HeadDeliveryFailed(JobFailed):
    code = "audit_head_delivery_failed"
    title = "A signed head could not be delivered now"


class HeadDeliveryRefused(JobRefused):
    code = "audit_head_delivery_refused"
    title = "A signed head can never be delivered there"
