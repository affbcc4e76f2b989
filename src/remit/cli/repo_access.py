"""How `remit repo` finds its repository, credentials and cache (restic's conventions).

Repository: ``--repo/-r`` or ``REMIT_REPOSITORY`` (a path or ``s3://bucket/prefix``).
Credential, first found wins: ``--key-file`` / ``REMIT_KEY_FILE``, ``REMIT_REPOSITORY_KEY``
(base64), ``--password-file`` / ``REMIT_PASSWORD_FILE``, ``REMIT_PASSWORD``, else a prompt when
stdin is a terminal.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import typer

from remit.errors import InvalidInput, RepositoryKeyError
from remit.repository.crypto import KdfParams
from remit.repository.keys import Credential, Passphrase, RawKey
from remit.repository.repository import Repository
from remit.repository.stores import open_store


@dataclass
class RepoOptions:
    repo: str | None = None
    password_file: Path | None = None
    key_file: Path | None = None
    cache_dir: Path | None = None
    no_cache: bool = False

    def location(self) -> str:
        if not self.repo:
            raise InvalidInput(
                "no repository given: pass --repo/-r PATH or s3://bucket/prefix,"
                " or set REMIT_REPOSITORY"
            )
        return self.repo

    def cache(self) -> Path | None:
        if self.no_cache:
            return None
        if self.cache_dir:
            return self.cache_dir
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "remit" / "repositories"

    def credential(self, *, confirm: bool = False) -> Credential:
        if self.key_file is not None:
            return RawKey.parse(_read(self.key_file, "--key-file"), f"key file {self.key_file}")
        env_key = os.environ.get("REMIT_REPOSITORY_KEY")
        if env_key:
            return RawKey.parse(env_key, "REMIT_REPOSITORY_KEY")
        found = _passphrase_from(
            self.password_file,
            "--password-file",
            "REMIT_PASSWORD",
            "repository passphrase: ",
            confirm=confirm,
            nothing="nothing was created",
        )
        if found is None:
            raise RepositoryKeyError(
                "no passphrase or key: set REMIT_PASSWORD, or pass --password-file or --key-file"
            )
        return found

    def open(self) -> Repository:
        store = open_store(self.location())
        return Repository.open(store, self.credential(), cache_dir=self.cache())

    def init(self) -> Repository:
        location = self.location()
        credential = self.credential(confirm=True)  # before creating a folder it might not need
        store = open_store(location, create=True)
        return Repository.init(store, credential, kdf=kdf_params(), cache_dir=self.cache())


def repo_options(ctx: typer.Context) -> RepoOptions:
    """The group options of this `remit repo` invocation (set by its callback)."""
    found = ctx.find_object(RepoOptions)
    if found is None:
        raise RuntimeError("remit repo options missing: the group callback did not run")
    return found


def kdf_params() -> KdfParams | None:
    """The argon2id cost for new passphrase keys (None: the library's default). Tests replace
    this function to keep key derivation cheap; there is deliberately no setting for it."""
    return None


def new_credential(password_file: Path | None, key_file: Path | None) -> Credential:
    """The credential for a new key: a new key file (created if absent) or a passphrase."""
    if key_file is not None:
        if key_file.exists():
            return RawKey.parse(_read(key_file, "--new-key-file"), f"key file {key_file}")
        key = RawKey.generate()
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.text())
        return key
    found = _passphrase_from(
        password_file,
        "--new-password-file",
        "REMIT_NEW_PASSWORD",
        "new passphrase: ",
        confirm=True,
        nothing="no key was added",
    )
    if found is None:
        raise InvalidInput(
            "no new passphrase or key: pass --new-password-file or --new-key-file,"
            " or set REMIT_NEW_PASSWORD"
        )
    return found


def _passphrase_from(
    path: Path | None, option: str, env_name: str, prompt: str, *, confirm: bool, nothing: str
) -> Passphrase | None:
    """A passphrase from a file, else the environment, else a prompt on a terminal; None when
    there is none of them (the caller says what to set)."""
    if path is not None:
        return _passphrase(_read(path, option).rstrip("\r\n"), f"password file {path}")
    env = os.environ.get(env_name)
    if env is not None:
        return _passphrase(env, env_name)
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("again: ") != first:
        raise InvalidInput(f"the passphrases do not match; {nothing}")
    return _passphrase(first, "the passphrase")


def _passphrase(text: str, source: str) -> Passphrase:
    if not text:
        raise InvalidInput(f"{source} is empty; a repository needs a passphrase")
    return Passphrase(text.encode())


def _read(path: Path, option: str) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise InvalidInput(f"{option} {path}: {exc.strerror or exc}") from None
