"""Secrets at rest: AES-256-GCM under the workspace key (``remit.key``).

Ciphertext layout (version 1)::

    0x01 | nonce (12 random bytes) | AES-256-GCM ciphertext and 16-byte tag

The associated data is the version byte followed by a *context* naming the purpose and the owner
(``tenant:<tenant-id>:secret``), so a ciphertext copied into another tenant's row, or used for
another purpose, fails to decrypt instead of yielding the wrong tenant's secret.

The workspace key is 32 random bytes, written as ``remit-key-v1:<base64>``, in a file only its
owner may read, or given in the ``REMIT_SECRET_KEY`` environment variable (which wins). The
encryption key and the fingerprint key are derived from it with HKDF, one per purpose.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import hmac
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from remit.errors import SecretsError

KEY_FILE_NAME = "remit.key"
KEY_ENV_VAR = "REMIT_SECRET_KEY"
KEY_PREFIX = "remit-key-v1:"
KEY_BYTES = 32

_VERSION = 1
_NONCE_BYTES = 12
_TAG_BYTES = 16


def tenant_secret_context(tenant_id: str) -> str:
    """The associated data that binds a tenant's stored secret to that tenant."""
    return f"tenant:{tenant_id}:secret"


class SecretBox:
    """Encrypts and decrypts small secrets (client secrets, PEM text) with the workspace key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise SecretsError(f"the workspace key must be {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(_derive(key, b"remit secretbox v1 aes-256-gcm"))
        self._fingerprint_key = _derive(key, b"remit secretbox v1 fingerprint")

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        version = bytes([_VERSION])
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), version + context.encode())
        return version + nonce + sealed

    def decrypt(self, ciphertext: bytes, *, context: str, label: str | None = None) -> str:
        """Decrypt ``ciphertext`` sealed for ``context``.

        ``label`` names the secret in the error message ("the stored secret for tenant 'contoso'").
        """
        what = label or f"the stored secret ({context})"
        if len(ciphertext) < 1 + _NONCE_BYTES + _TAG_BYTES or ciphertext[0] != _VERSION:
            raise SecretsError(
                f"cannot decrypt {what}: it is not in a format this version of Remit knows "
                "(damaged, or written by a newer Remit); re-add the credentials"
            )
        nonce = ciphertext[1 : 1 + _NONCE_BYTES]
        try:
            plain = self._aead.decrypt(
                nonce, ciphertext[1 + _NONCE_BYTES :], ciphertext[:1] + context.encode()
            )
        except InvalidTag:
            raise SecretsError(
                f"cannot decrypt {what}: the workspace key does not match the one it was "
                "encrypted with (or the stored value was altered); use the original "
                f"{KEY_FILE_NAME} or re-add the credentials"
            ) from None
        return plain.decode("utf-8")

    def fingerprint(self, plaintext: str) -> str:
        """8 hex digits that identify a secret without revealing anything about it."""
        digest = hmac.new(self._fingerprint_key, plaintext.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:8]


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(key)


def encode_key(key: bytes) -> str:
    return KEY_PREFIX + base64.b64encode(key).decode("ascii")


def decode_key(text: str, *, source: str) -> bytes:
    """Parse the ``remit-key-v1:<base64>`` form; ``source`` names where it came from."""
    text = text.strip()
    if not text.startswith(KEY_PREFIX):
        raise SecretsError(
            f"{source}: not a Remit key (it must start with `{KEY_PREFIX}`); "
            f"use the {KEY_FILE_NAME} the workspace was created with"
        )
    try:
        key = base64.b64decode(text[len(KEY_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise SecretsError(
            f"{source}: the key is not valid base64; use the {KEY_FILE_NAME} the workspace was "
            "created with"
        ) from None
    if len(key) != KEY_BYTES:
        raise SecretsError(
            f"{source}: the key is {len(key)} bytes, not {KEY_BYTES}; use the {KEY_FILE_NAME} "
            "the workspace was created with"
        )
    return key


def generate_key_file(path: Path) -> bytes:
    """Write a new random key to ``path`` (mode 0600, atomically); refuse to overwrite one."""
    if path.exists():
        raise SecretsError(
            f"{path} already exists; refusing to overwrite the key that protects the stored "
            "secrets (move it aside yourself if you really mean to replace it)"
        )
    key = os.urandom(KEY_BYTES)
    data = (encode_key(key) + "\n").encode("ascii")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        _publish_exclusive(tmp, path)
    except OSError as exc:
        raise SecretsError(f"{path}: cannot write the key file ({exc.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return key


def _publish_exclusive(tmp: Path, path: Path) -> None:
    """Give the complete file ``tmp`` the name ``path`` unless ``path`` exists already."""
    try:
        # A hard link never replaces an existing file, so two writers cannot both win.
        os.link(tmp, path)
    except FileExistsError:
        raise SecretsError(
            f"{path} appeared while the key was being written; refusing to overwrite it"
        ) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
            raise
        # No hard links on this file system: a plain rename, after checking once more.
        if path.exists():
            raise SecretsError(f"{path} appeared while the key was being written") from None
        os.replace(tmp, path)


def load_key(path: Path, *, environ: Mapping[str, str] | None = None) -> bytes:
    """The workspace key: ``$REMIT_SECRET_KEY`` if set, else the key file at ``path``."""
    env = os.environ if environ is None else environ
    from_env = env.get(KEY_ENV_VAR, "")
    if from_env.strip():
        return decode_key(from_env, source=f"${KEY_ENV_VAR}")
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SecretsError(
            f"{path}: the workspace key file is missing, so stored secrets cannot be decrypted; "
            f"restore it from your backup, or set ${KEY_ENV_VAR}"
        ) from None
    except OSError as exc:
        raise SecretsError(f"{path}: cannot read the workspace key ({exc.strerror})") from None
    if os.name == "posix" and info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        raise SecretsError(
            f"{path}: the workspace key is accessible to other users (mode {mode:04o}); "
            f"run `chmod 600 {path}` and try again"
        )
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not ASCII text"
        raise SecretsError(f"{path}: cannot read the workspace key ({reason})") from None
    return decode_key(text, source=str(path))


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
