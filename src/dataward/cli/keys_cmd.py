"""``dataward keys``: generate key material and rotate the key-encryption key."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from dataward.audit.heads import HeadKey
from dataward.clock import SystemClock
from dataward.config import get_settings
from dataward.crypto.cipher import new_key
from dataward.crypto.keyring import rotate_kek
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import KeyMaterial, decode_key, encode_key, key_material

app = typer.Typer(help="Key material of the key store.", no_args_is_help=True)


@app.command("generate")
def generate() -> None:
    """Print new DATAWARD_KEK and DATAWARD_BLIND_INDEX_KEY lines for a .env file."""
    typer.echo(f"DATAWARD_KEK={encode_key(new_key())}")
    typer.echo(f"DATAWARD_BLIND_INDEX_KEY={encode_key(new_key())}")


@app.command("audit-head")
def audit_head() -> None:
    """Print a new key pair that signs audit heads, as lines for a .env file.

    DATAWARD_AUDIT_HEAD_KEY signs: give it only to the processes that write heads (the
    workers, `dataward audit head`), never keep it in the database or its backups, and
    store a copy offline. DATAWARD_AUDIT_HEAD_PUBLIC_KEY only checks heads: give it to
    whoever runs `dataward audit verify --heads` (an auditor), and publish it if you like.
    """
    key = HeadKey.generate()
    typer.echo(f"DATAWARD_AUDIT_HEAD_KEY={key.b64}")
    typer.echo(f"DATAWARD_AUDIT_HEAD_PUBLIC_KEY={key.public.b64}")


@app.command("rotate")
def rotate(
    new_kek_id: Annotated[str, typer.Option(help="Name of the new KEK, e.g. kek-2.")],
) -> None:
    """Re-wrap every data key under a new KEK read from DATAWARD_NEW_KEK.

    Afterwards set DATAWARD_KEK to the new key and DATAWARD_KEK_ID to NEW_KEK_ID.
    """
    settings = get_settings()
    current = key_material(settings)
    new = KeyMaterial(
        new_kek_id,
        decode_key(os.environ.get("DATAWARD_NEW_KEK"), "DATAWARD_NEW_KEK"),
        current.index_key,
    )
    vault = Vault.open(settings.keystore_url, current)
    try:
        count = rotate_kek(vault, new, SystemClock())
    finally:
        vault.close()
    from dataward.cli.words import plural

    typer.echo(
        f"re-wrapped {plural(count, 'data key')} under {new_kek_id}; now set "
        f"DATAWARD_KEK to the new key and DATAWARD_KEK_ID={new_kek_id}"
    )
