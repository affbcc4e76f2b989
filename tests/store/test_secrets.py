"""Secrets at rest: AES-256-GCM with context binding, keyed fingerprints, the key file."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from remit.errors import SecretsError, WorkspaceError
from remit.store.secrets import (
    KEY_PREFIX,
    SecretBox,
    encode_key,
    generate_key_file,
    load_key,
    tenant_secret_context,
)

CONTEXT = tenant_secret_context("11111111-1111-4111-8111-111111111111")
OTHER_CONTEXT = tenant_secret_context("22222222-2222-4222-8222-222222222222")


def test_round_trip_with_a_fresh_nonce_each_time() -> None:
    box = SecretBox(os.urandom(32))
    first = box.encrypt("s3cr3t~ünïcode", context=CONTEXT)
    second = box.encrypt("s3cr3t~ünïcode", context=CONTEXT)
    assert first != second
    assert first[0] == 1  # format version
    assert b"s3cr3t" not in first
    assert box.decrypt(first, context=CONTEXT) == "s3cr3t~ünïcode"
    assert box.decrypt(second, context=CONTEXT) == "s3cr3t~ünïcode"


def test_wrong_key_names_the_secret_and_the_way_out() -> None:
    ciphertext = SecretBox(os.urandom(32)).encrypt("secret", context=CONTEXT)
    with pytest.raises(SecretsError) as caught:
        SecretBox(os.urandom(32)).decrypt(
            ciphertext, context=CONTEXT, label="the stored secret for tenant 'contoso'"
        )
    message = str(caught.value)
    assert message.startswith("cannot decrypt the stored secret for tenant 'contoso': ")
    assert "the workspace key does not match the one it was encrypted with" in message
    assert "use the original remit.key or re-add the credentials" in message
    assert isinstance(caught.value, WorkspaceError)


@pytest.mark.parametrize("position", [0, 5, 20, -1])
def test_tampered_ciphertext_is_refused(position: int) -> None:
    box = SecretBox(os.urandom(32))
    ciphertext = bytearray(box.encrypt("secret", context=CONTEXT))
    ciphertext[position] ^= 0x01
    with pytest.raises(SecretsError, match="cannot decrypt"):
        box.decrypt(bytes(ciphertext), context=CONTEXT)


def test_truncated_ciphertext_is_refused() -> None:
    box = SecretBox(os.urandom(32))
    with pytest.raises(SecretsError, match="not in a format this version of Remit knows"):
        box.decrypt(box.encrypt("secret", context=CONTEXT)[:20], context=CONTEXT)


def test_ciphertext_moved_to_another_tenant_fails() -> None:
    box = SecretBox(os.urandom(32))
    ciphertext = box.encrypt("contoso's secret", context=CONTEXT)
    with pytest.raises(SecretsError, match="does not match"):
        box.decrypt(ciphertext, context=OTHER_CONTEXT)


def test_fingerprint_is_keyed_and_short() -> None:
    key = os.urandom(32)
    box = SecretBox(key)
    fingerprint = box.fingerprint("secret")
    assert len(fingerprint) == 8
    assert int(fingerprint, 16) >= 0
    assert box.fingerprint("secret") == fingerprint
    assert SecretBox(key).fingerprint("secret") == fingerprint
    assert box.fingerprint("secret2") != fingerprint
    assert SecretBox(os.urandom(32)).fingerprint("secret") != fingerprint
    assert not hashlib.sha256(b"secret").hexdigest().startswith(fingerprint)


def test_repr_hides_the_key() -> None:
    key = os.urandom(32)
    assert repr(SecretBox(key)) == "SecretBox(<key hidden>)"


def test_generated_key_file(tmp_path: Path) -> None:
    path = tmp_path / "remit.key"
    key = generate_key_file(path)
    assert len(key) == 32
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert text.startswith(KEY_PREFIX)
    assert base64.b64decode(text[len(KEY_PREFIX) :].strip()) == key
    assert load_key(path, environ={}) == key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["remit.key"]  # no temp file left


def test_generate_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "remit.key"
    generate_key_file(path)
    before = path.read_bytes()
    with pytest.raises(SecretsError, match="already exists; refusing to overwrite"):
        generate_key_file(path)
    assert path.read_bytes() == before


def test_missing_key_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "remit.key"
    with pytest.raises(SecretsError) as caught:
        load_key(path, environ={})
    assert str(caught.value).startswith(f"{path}: the workspace key file is missing")
    assert "$REMIT_SECRET_KEY" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("hello", "not a Remit key"),
        (KEY_PREFIX + "!!!not base64!!!", "not valid base64"),
        (KEY_PREFIX + base64.b64encode(b"short").decode(), "the key is 5 bytes, not 32"),
    ],
)
def test_badly_formatted_key_file(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "remit.key"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(SecretsError) as caught:
        load_key(path, environ={})
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_key_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "remit.key"
    generate_key_file(path)
    path.chmod(mode)
    with pytest.raises(SecretsError) as caught:
        load_key(path, environ={})
    assert f"(mode {mode:04o})" in str(caught.value)
    assert f"run `chmod 600 {path}`" in str(caught.value)


def test_environment_key_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "remit.key"
    file_key = generate_key_file(path)
    env_key = os.urandom(32)
    assert load_key(path, environ={"REMIT_SECRET_KEY": encode_key(env_key)}) == env_key
    assert load_key(path, environ={"REMIT_SECRET_KEY": ""}) == file_key
    # With the variable set, no file is needed at all.
    assert load_key(tmp_path / "absent", environ={"REMIT_SECRET_KEY": encode_key(env_key)}) == (
        env_key
    )


def test_bad_environment_key_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SecretsError, match=r"^\$REMIT_SECRET_KEY: not a Remit key"):
        load_key(tmp_path / "remit.key", environ={"REMIT_SECRET_KEY": "hunter2"})


def test_key_must_be_32_bytes() -> None:
    with pytest.raises(SecretsError, match="must be 32 bytes"):
        SecretBox(b"too short")
