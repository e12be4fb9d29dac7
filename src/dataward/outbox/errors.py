"""Outbox errors: templates, and the delivery failures a send job reports to its worker.

Delivery errors are job errors: a ``JobRefused`` parks the message at once, a plain
``JobFailed`` is tried again later.
"""

from __future__ import annotations

from dataward.errors import ConfigurationError, ValidationFailed
from dataward.jobs.errors import JobFailed, JobRefused


class TemplateInvalid(ConfigurationError):
    code = "template_invalid"
    title = "A message template is not valid"


class UnknownMessageType(ValidationFailed):
    code = "message_type_unknown"
    title = "Unknown message type"


class MessageUndeliverable(JobRefused):
    code = "message_undeliverable"
    title = "The message can never be delivered"


class RecipientInvalid(JobRefused):
    code = "recipient_invalid"
    title = "The recipient address cannot be used"


class DeliveryRefused(JobRefused):
    code = "delivery_refused"
    title = "The mail server refused the message for good"


class DeliveryDeferred(JobFailed):
    code = "delivery_deferred"
    title = "The message could not be handed to the mail server now"
