"""Where a package's files live, and how a staged part is written and read.

Every file is sealed under the subject's data key (``crypto.sealed_files``) with a context
naming the package and the file, so a file copied under another package's name does not
open. A staged part is JSON lines: one row per line, the row's files (if any) listed under
``FILES_FIELD`` with their staged names. Staged files are removed when the package is
assembled or deleted; the finished package is ``package.zip.sealed``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dataward.access.models import AccessPackage, PackagePart
from dataward.config import get_settings
from dataward.crypto.keyring import data_key
from dataward.crypto.sealed_files import SealedReader, SealedWriter
from dataward.uow import UnitOfWork

FILES_FIELD = "__files__"
"""A staged row's files: a list of {"path": source path, "staged": staged name, "size"}."""

PACKAGE_FILE = "package.zip.sealed"


def packages_dir() -> Path:
    settings = get_settings()
    return settings.access_packages_dir or settings.var_dir / "packages"


def package_dir(package: AccessPackage, root: Path | None = None) -> Path:
    return (root or packages_dir()) / package.organisation / package.id


def context(package: AccessPackage, name: str) -> str:
    return f"access-package:{package.id}:{name}"


def part_name(part: PackagePart) -> str:
    return f"part-{part.dataset}-{part.binding}.jsonl"


def json_value(value: Any) -> Any:
    """A cell as JSON can carry it: dates ISO 8601, decimals as strings, bytes as hex."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value


def write_part(
    uow: UnitOfWork, package: AccessPackage, part: PackagePart, root: Path | None = None
) -> SealedWriter:
    """A writer for the part's rows (``write_row``); closed, it replaces any earlier attempt."""
    path = package_dir(package, root) / part_name(part)
    return SealedWriter(path, data_key(uow, package.key_id), context(package, part_name(part)))


def write_row(writer: SealedWriter, row: Mapping[str, Any]) -> None:
    line = json.dumps({k: json_value(v) for k, v in row.items()}, ensure_ascii=False)
    writer.write(line.encode("utf-8") + b"\n")


def read_part(
    uow: UnitOfWork, package: AccessPackage, part: PackagePart, root: Path | None = None
) -> Iterator[dict[str, Any]]:
    """The part's rows in order (``row_no`` is the position), streamed."""
    path = package_dir(package, root) / part_name(part)
    reader = SealedReader(path, data_key(uow, package.key_id), context(package, part_name(part)))
    for line in reader.lines():
        if line:
            yield json.loads(line)


def write_file(
    uow: UnitOfWork, package: AccessPackage, name: str, root: Path | None = None
) -> SealedWriter:
    """A writer for a staged file (a recording copied from its source) or the package."""
    return SealedWriter(
        package_dir(package, root) / name, data_key(uow, package.key_id), context(package, name)
    )


def read_file(
    uow: UnitOfWork, package: AccessPackage, name: str, root: Path | None = None
) -> SealedReader:
    path = package_dir(package, root) / name
    return SealedReader(path, data_key(uow, package.key_id), context(package, name))


def remove_package_files(package: AccessPackage, root: Path | None = None) -> None:
    shutil.rmtree(package_dir(package, root), ignore_errors=True)
