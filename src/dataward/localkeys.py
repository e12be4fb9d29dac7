"""Key material for a local run (``make run``) when none is configured.

A production deployment sets ``DATAWARD_KEK``, ``DATAWARD_BLIND_INDEX_KEY`` and
``DATAWARD_SECRET_KEY`` (signed links and forms) from a secret store. For a first local run
we generate them once into ``var/local-keys.env``, readable by the owner only, so the two
commands of the README work on a fresh clone; the banner says where the keys are.
"""

from __future__ import annotations

import os
from pathlib import Path

from dataward.config import get_settings
from dataward.crypto.cipher import new_key
from dataward.crypto.secrets import encode_key

LOCAL_KEYS_NAME = "local-keys.env"
_NAMES = ("DATAWARD_KEK", "DATAWARD_BLIND_INDEX_KEY", "DATAWARD_SECRET_KEY")


def ensure_local_keys(path: Path | None = None) -> Path | None:
    """Make sure key material is configured; return the file used when it is a local one."""
    settings = get_settings()
    path = path or settings.var_dir / LOCAL_KEYS_NAME
    if all(v is not None for v in (settings.kek, settings.blind_index_key, settings.secret_key)):
        return None
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{name}={encode_key(new_key())}" for name in _NAMES]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write("# Local development keys made by `make run`. Never use in production.\n")
            handle.write("\n".join(lines) + "\n")
    found = {}
    for line in path.read_text(encoding="ascii").splitlines():
        name, sep, value = line.partition("=")
        if sep and name in _NAMES:
            found[name] = value.strip()
    for name in _NAMES:
        if name not in found:  # a file from an older run: add what it lacks
            found[name] = encode_key(new_key())
            with path.open("a", encoding="ascii") as handle:
                handle.write(f"{name}={found[name]}\n")
        os.environ.setdefault(name, found[name])
    get_settings.cache_clear()
    return path
