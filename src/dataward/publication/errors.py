"""Errors of publication. A missing register is ``dataward.errors.RegisterNotFound``."""

from __future__ import annotations

from dataward.errors import NotFoundError


class NoticeVersionNotFound(NotFoundError):
    code = "notice_version_not_found"
    title = "Notice version not found"
