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
from dataward.crypto.keystore import Vault, count_data_keys
from dataward.crypto.secrets import (
    KEY_SETTINGS,
    LOCAL_KEYS_NAME,
    KeyMaterial,
    decode_key,
    encode_key,
    key_material,
)
from dataward.errors import ConfigurationError

app = typer.Typer(help="Key material of the key store.", no_args_is_help=True)


@app.command("generate")
def generate(
    new_kek: Annotated[
        bool,
        typer.Option("--new-kek", help="Print only a DATAWARD_NEW_KEK line, for `keys rotate`."),
    ] = False,
) -> None:
    """Print new key lines for a new installation's secret store (never beside the data).

    Refused while the configured key store holds data keys: new keys could not read them.
    To replace the KEK of a store in use, print one with --new-kek and run `keys rotate`.
    """
    if new_kek:
        typer.echo(f"DATAWARD_NEW_KEK={encode_key(new_key())}")
        return
    settings = get_settings()
    keys = count_data_keys(settings.keystore_url)
    if keys:
        raise ConfigurationError(
            f"the key store already holds {keys} data keys: new keys could not read them, so "
            "none are printed. Keep the keys the data was encrypted with (on a development "
            f"machine they are in {settings.var_dir / LOCAL_KEYS_NAME}); to replace the KEK, "
            "run `dataward keys generate --new-kek`, then `dataward keys rotate`."
        )
    for name in KEY_SETTINGS:
        typer.echo(f"{name}={encode_key(new_key())}")


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
    new_value = os.environ.get("DATAWARD_NEW_KEK")
    if not new_value:
        raise ConfigurationError(
            "DATAWARD_NEW_KEK is not set: make one with `dataward keys generate --new-kek`"
        )
    new = KeyMaterial(new_kek_id, decode_key(new_value, "DATAWARD_NEW_KEK"), current.index_key)
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
