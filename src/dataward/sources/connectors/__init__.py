"""Connectors by kind: adding another kind of source is one module and one line here.

``open_connector`` resolves a connection's URL from the environment or settings (never the
sources file) and opens the module's connector. Each module defines one class following
``base.Connector``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from dataward.sources.connectors.base import Connector, SourceMisfit, resolve_url
from dataward.sources.models import Connection, SourcesFile

KINDS: dict[str, tuple[str, str]] = {
    "sql": ("dataward.sources.connectors.sql", "SqlConnector"),
    "csv": ("dataward.sources.connectors.tabular", "TabularConnector"),
    "json": ("dataward.sources.connectors.tabular", "TabularConnector"),
    "files": ("dataward.sources.connectors.blobs", "BlobConnector"),
}


def open_connector(
    name: str, connection: Connection, env: Mapping[str, str] | None = None
) -> Connector:
    """Open the named connection; read-only unless its mode is ``read_write``."""
    if connection.kind not in KINDS:
        raise SourceMisfit(f"connection {name}: no connector for kind {connection.kind}")
    module_name, class_name = KINDS[connection.kind]
    factory: Any = getattr(importlib.import_module(module_name), class_name)
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


__all__ = ["KINDS", "Connector", "open_all", "open_connector"]
