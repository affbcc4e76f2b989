"""Fixtures for repository tests: a real S3 server (moto) on loopback, and buckets in it.

``moto_endpoint`` starts one moto server per test session (per xdist worker). ``s3`` sets dummy
AWS credentials for the test (and unsets anything that would point boto3 elsewhere) and hands
out fresh buckets, so tests sharing the server never see each other's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.repository.s3server import AWS_ENV_TO_CLEAR, DUMMY_AWS_ENV, running_moto_server


@dataclass
class S3Server:
    """A moto server as a test sees it: its endpoint and a boto3 client for set-up checks."""

    endpoint: str
    client: Any

    def new_bucket(self, *, object_lock: bool = False) -> str:
        """Create an empty bucket with a unique name (Object Lock enabled if asked)."""
        name = f"remit-test-{uuid.uuid4().hex[:16]}"
        self.client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock)
        return name


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with running_moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials for moto; no profile, config file or endpoint from the machine."""
    for name in AWS_ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    for name, value in DUMMY_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def s3(moto_endpoint: str, aws_env: None) -> S3Server:
    client = boto3.session.Session().client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1"
    )
    return S3Server(moto_endpoint, client)
