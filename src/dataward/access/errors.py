"""Access package errors: each a stable code; messages never quote personal data."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError


class PackageNotFound(NotFoundError):
    code = "package_not_found"
    title = "No access package"


class PackageRefused(DatawardError):
    """The package is not in a state where this step can happen."""

    code = "package_refused"
    http_status = 409
    title = "This step cannot be taken on the package now"


class NotAnAccessRequest(PackageRefused):
    code = "request_not_access"
    title = "The request does not ask for access"


class UnknownPackageKind(DatawardError):
    code = "package_kind_unknown"
    http_status = 422
    title = "A package is either access or portability"


class PackageExists(PackageRefused):
    code = "package_exists"
    title = "The request has a package already"


class PackageLinkRefused(DatawardError):
    """A download link used by someone else, after expiry, or for a deleted package."""

    code = "package_link_refused"
    http_status = 403
    title = "This download link does not open a package"


class DestinationInvalid(DatawardError):
    """POR-01, Art 20(2): a receiving controller that cannot be recorded."""

    code = "portability_destination_invalid"
    http_status = 422
    title = "The receiving controller cannot be recorded"
