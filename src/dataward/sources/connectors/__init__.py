"""Connectors by kind: adding another kind of source is one module and one line here.

``open_connector`` resolves a connection's URL from the environment or settings (never the
sources file) and opens the module's connector. Each module defines one class following
``base.Connector``. ``apply_changes`` sends an erasure's changes to the write function of
the connector's kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dataward.sources.connectors import blobs, sql, tabular
from dataward.sources.connectors.base import Connector, RowChange, SourceMisfit, resolve_url
from dataward.sources.connectors.blobs import BlobConnector
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.connectors.tabular import TabularConnector
from dataward.sources.models import Connection, SourcesFile

KINDS: dict[str, type[Connector]] = {
    "sql": SqlConnector,
    "csv": TabularConnector,
    "json": TabularConnector,
    "files": BlobConnector,
}


def open_connector(
    name: str, connection: Connection, env: Mapping[str, str] | None = None
) -> Connector:
    """Open the named connection; read-only unless its mode is ``read_write``."""
    if connection.kind not in KINDS:
        raise SourceMisfit(f"connection {name}: no connector for kind {connection.kind}")
    # Typed as the Protocol above (mypy holds each class to it); built by keyword here.
    factory: Callable[..., Connector] = KINDS[connection.kind]
    url = resolve_url(name, connection, env)
    extra: dict[str, Any] = {"kind": connection.kind} if connection.kind in ("csv", "json") else {}
    connector: Connector = factory(name, url, read_only=connection.mode == "read_only", **extra)
    return connector


def open_all(sources: SourcesFile, env: Mapping[str, str] | None = None) -> dict[str, Connector]:
    """Every connection of a sources file, opened; closes those opened if one fails."""
    opened: dict[str, Connector] = {}
    try:
        for name, connection in sources.connections.items():
            opened[name] = open_connector(name, connection, env)
    except Exception:
        for connector in opened.values():
            connector.close()
        raise
    return opened


def apply_changes(connector: Connector, changes: Sequence[RowChange]) -> list[int]:
    """The changes applied through the connector's kind (one transaction for a database, one
    locked rewrite of every file for a folder); the rows each touched. Read-only refuses."""
    if isinstance(connector, SqlConnector):
        return sql.apply_changes(connector, changes)
    if isinstance(connector, TabularConnector):
        return tabular.apply_changes(connector, changes)
    if isinstance(connector, BlobConnector):
        return blobs.apply_changes(connector, changes)
    raise SourceMisfit(f"connection {connector.name}: dataward cannot write to it")


__all__ = ["KINDS", "Connector", "apply_changes", "open_all", "open_connector"]
