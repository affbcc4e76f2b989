"""`remit repo key`: the keys that open a repository (passphrases and key files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from remit.cli import repo_access
from remit.cli.output import print_json, stdout
from remit.cli.repo_access import new_credential, repo_options

key_app = typer.Typer(help="Keys that open the repository.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


NewPasswordFile = Annotated[
    Path | None,
    typer.Option(
        "--new-password-file", help="The new key's passphrase (else $REMIT_NEW_PASSWORD)."
    ),
]
NewKeyFile = Annotated[
    Path | None,
    typer.Option("--new-key-file", help="Use (or create, mode 600) a key file for the new key."),
]


@key_app.command("list")
def key_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Keys that open the repository (* marks the one used now)."""
    repo = repo_options(ctx).open()
    found = repo.list_keys()
    if as_json:
        print_json(
            [
                {
                    "id": k.key_id,
                    "kind": k.kind,
                    "created": k.created,
                    "host": k.host,
                    "user": k.user,
                    "current": k.key_id == repo.key_id,
                }
                for k in found
            ]
        )
        return
    for k in found:
        mark = "*" if k.key_id == repo.key_id else " "
        stdout().print(
            f"{mark} {k.key_id[:8]} {k.kind:10} {k.created} {escape(k.user)}@{escape(k.host)}"
        )


@key_app.command("add")
def key_add(
    ctx: typer.Context, new_password_file: NewPasswordFile = None, new_key_file: NewKeyFile = None
) -> None:
    """Add a key (another passphrase or a key file) for the same data."""
    repo = repo_options(ctx).open()
    key_id = repo.add_key(
        new_credential(new_password_file, new_key_file), kdf=repo_access.kdf_params()
    )
    stdout().print(f"added key {key_id[:8]}")


@key_app.command("remove")
def key_remove(
    ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="Key id (a unique prefix).")]
) -> None:
    """Remove a key (not the one used to open the repository)."""
    repo_options(ctx).open().remove_key(key_id)
    stdout().print(f"removed key {key_id}")


@key_app.command("passwd")
def key_passwd(
    ctx: typer.Context, new_password_file: NewPasswordFile = None, new_key_file: NewKeyFile = None
) -> None:
    """Replace the key used now with a new passphrase or key file (data is not rewritten)."""
    repo = repo_options(ctx).open()
    old = repo.key_id
    new_id = repo.add_key(
        new_credential(new_password_file, new_key_file), kdf=repo_access.kdf_params()
    )
    repo.key_id = new_id
    repo.remove_key(old)
    stdout().print(f"replaced key {old[:8]} with {new_id[:8]}")


@key_app.command("rotate")
def key_rotate(
    ctx: typer.Context, new_password_file: NewPasswordFile = None, new_key_file: NewKeyFile = None
) -> None:
    """New data key for new data and one new key; every other key is removed. Old data stays
    readable with the new key; nothing is rewritten."""
    repo = repo_options(ctx).open()
    new_id, removed = repo.rotate(
        new_credential(new_password_file, new_key_file), kdf=repo_access.kdf_params()
    )
    stdout().print(
        f"data key generation {repo.keyring.current}; new key {new_id[:8]};"
        f" removed {len(removed)} old keys"
    )
