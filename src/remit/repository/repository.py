"""Opening a repository and reading from it.

``Repository.init`` writes the config and a first key; ``Repository.open`` checks the format
version, finds a key the credential opens and verifies the config. Reads go through the master
index (loaded from ``index/`` with a local cache of the sealed index objects).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from remit.errors import (
    IntegrityError,
    NotFound,
    ObjectExists,
    ObjectMissing,
    RepositoryError,
    RepositoryKeyError,
)
from remit.repository import blobs, keys
from remit.repository.config import RepoConfig
from remit.repository.crypto import KdfParams, Keyring, content_id
from remit.repository.format import (
    CONFIG_KEY,
    INDEX_PREFIX,
    KEYS_PREFIX,
    SNAPSHOTS_PREFIX,
    BlobType,
    pack_key,
)
from remit.repository.index import Location, MasterIndex, PackRecord, parse_index
from remit.repository.keys import Credential, KeyInfo
from remit.repository.objects import open_object, seal_object
from remit.repository.snapshots import Snapshot
from remit.repository.stores.base import Store

HOLDS_PREFIX = "holds/"


class Repository:
    def __init__(
        self,
        store: Store,
        config: RepoConfig,
        keyring: Keyring,
        key_id: str,
        cache_dir: Path | None,
    ) -> None:
        self.store = store
        self.config = config
        self.keyring = keyring
        self.key_id = key_id
        self.cache_dir = cache_dir / config.repo_id if cache_dir else None
        self._index: MasterIndex | None = None
        self.damaged_indexes: list[str] = []
        self.damaged_snapshots: list[str] = []

    # --- creating and opening ---------------------------------------------------------------

    @classmethod
    def init(
        cls,
        store: Store,
        credential: Credential,
        *,
        kdf: KdfParams | None = None,
        cache_dir: Path | None = None,
    ) -> Repository:
        if store.exists(CONFIG_KEY):
            raise RepositoryError(
                f"{store.location} already holds a repository; use it, or pick an empty location"
            )
        keyring = Keyring.generate()
        config = RepoConfig.new()
        key_id = keys.new_key_id()
        # The key first: a config without a key would be a repository nobody can open.
        store.put(
            KEYS_PREFIX + key_id,
            keys.wrap(keyring, credential, config.repo_id, key_id, kdf),
            exclusive=True,
        )
        try:
            store.put(CONFIG_KEY, config.to_bytes(keyring), exclusive=True)
        except ObjectExists:
            store.delete(KEYS_PREFIX + key_id)
            raise RepositoryError(
                f"another process initialised a repository at {store.location} at the same time"
            ) from None
        return cls(store, config, keyring, key_id, cache_dir)

    @classmethod
    def open(
        cls, store: Store, credential: Credential, *, cache_dir: Path | None = None
    ) -> Repository:
        try:
            raw_config = store.get(CONFIG_KEY)
        except ObjectMissing:
            raise RepositoryError(
                f"no repository at {store.location}: create one with `remit repo init`"
            ) from None
        config = RepoConfig.parse(raw_config, store.location)
        found = False
        broken: list[RepositoryError] = []  # a damaged key object must not hide a good one
        for info in store.list(KEYS_PREFIX):
            key_id = info.key[len(KEYS_PREFIX) :]
            found = True
            try:
                _, doc = keys.read_info(store.get(info.key), key_id)
                keyring = keys.unwrap(doc, credential, config.repo_id, key_id)
            except RepositoryError as exc:
                broken.append(exc)
                continue
            if keyring is not None:
                config.verify(raw_config, keyring)
                return cls(store, config, keyring, key_id, cache_dir)
        if not found:
            raise RepositoryKeyError(
                f"the repository at {store.location} has no keys left; it cannot be opened"
            )
        if broken:
            raise broken[0]
        what = "passphrase" if isinstance(credential, keys.Passphrase) else "key"
        raise RepositoryKeyError(
            f"wrong {what}: no key of the repository at {store.location} opens with it;"
            " check REMIT_PASSWORD / --password-file / --key-file"
        )

    # --- keys ---------------------------------------------------------------------------------

    def list_keys(self) -> list[KeyInfo]:
        out = []
        for info in self.store.list(KEYS_PREFIX):
            key_id = info.key[len(KEYS_PREFIX) :]
            out.append(keys.read_info(self.store.get(info.key), key_id)[0])
        return sorted(out, key=lambda k: (k.created, k.key_id))

    def add_key(self, credential: Credential, *, kdf: KdfParams | None = None) -> str:
        key_id = keys.new_key_id()
        self.store.put(
            KEYS_PREFIX + key_id,
            keys.wrap(self.keyring, credential, self.config.repo_id, key_id, kdf),
            exclusive=True,
        )
        return key_id

    def remove_key(self, key_id: str) -> None:
        matches = [k for k in self.list_keys() if k.key_id.startswith(key_id)]
        if len(matches) != 1:
            raise NotFound(f"no single key with id {key_id!r}; see `remit repo key list`")
        if matches[0].key_id == self.key_id:
            raise RepositoryError(
                "refusing to remove the key this command opened the repository with;"
                " open it with another key first"
            )
        self.store.delete(KEYS_PREFIX + matches[0].key_id)

    def rotate(
        self, credential: Credential, *, kdf: KdfParams | None = None
    ) -> tuple[str, list[str]]:
        """A new data-key generation for new data, wrapped for ``credential`` only.

        Every other key object (holding the old keyring) is removed after the new one is
        durable. Existing data stays readable with the older generations; nothing is rewritten.
        """
        self.keyring.add_generation()
        new_id = self.add_key(credential, kdf=kdf)
        removed = []
        for info in self.list_keys():
            if info.key_id != new_id:
                self.store.delete(KEYS_PREFIX + info.key_id)
                removed.append(info.key_id)
        self.key_id = new_id
        return new_id, removed

    # --- sealed objects -------------------------------------------------------------------------

    def write_object(self, kind: str, prefix: str, doc: dict[str, Any]) -> str:
        object_id, raw = seal_object(self.keyring, kind, doc)
        with contextlib.suppress(ObjectExists):  # the same bytes are there already
            self.store.put(prefix + object_id, raw, exclusive=True)
        return object_id

    def read_object(self, kind: str, prefix: str, object_id: str) -> dict[str, Any]:
        return open_object(self.keyring, kind, self.store.get(prefix + object_id), object_id)

    # --- index ---------------------------------------------------------------------------------

    def index(self, *, reload: bool = False) -> MasterIndex:
        if self._index is None or reload:
            self._index = self._load_index()
        return self._index

    def forget_index(self) -> None:
        """Drop the loaded index; the next read loads it again with what was written since."""
        self._index = None

    def index_ids(self) -> list[str]:
        return [i.key[len(INDEX_PREFIX) :] for i in self.store.list(INDEX_PREFIX)]

    def read_index(self, index_id: str) -> tuple[list[PackRecord], list[str]]:
        raw = self._cached_index_bytes(index_id)
        doc = open_object(self.keyring, "index", raw, index_id)
        return parse_index(doc, index_id)

    def _load_index(self) -> MasterIndex:
        ids = self.index_ids()
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(self._try_read_index, ids))
        docs = {i: r for i, r in zip(ids, results, strict=True) if r is not None}
        self.damaged_indexes = [i for i, r in zip(ids, results, strict=True) if r is None]
        superseded = {s for _, sup in docs.values() for s in sup}
        master = MasterIndex()
        for index_id, (packs, _) in docs.items():
            if index_id in superseded:
                continue
            for record in packs:
                master.add_pack(record, index_id)
        self._prune_cache(set(ids))
        return master

    def _try_read_index(self, index_id: str) -> tuple[list[PackRecord], list[str]] | None:
        """A damaged index costs only the blobs it lists (``check`` reports it, ``repair``
        rebuilds it from the packs' own headers); it must not make every blob unreadable."""
        try:
            return self.read_index(index_id)
        except IntegrityError:
            return None

    def _cached_index_bytes(self, index_id: str) -> bytes:
        if self.cache_dir is not None:
            path = self.cache_dir / "index" / index_id
            try:
                raw = path.read_bytes()
                if content_id(raw) == index_id:
                    return raw
            except OSError:
                pass
        raw = self.store.get(INDEX_PREFIX + index_id)
        if self.cache_dir is not None and content_id(raw) == index_id:
            _write_cache(self.cache_dir / "index" / index_id, raw)
        return raw

    def _prune_cache(self, live: set[str]) -> None:
        if self.cache_dir is None:
            return
        folder = self.cache_dir / "index"
        if folder.is_dir():
            for path in folder.iterdir():
                if path.name not in live:
                    path.unlink(missing_ok=True)

    # --- blobs ---------------------------------------------------------------------------------

    def locate(self, blob_id: bytes) -> Location:
        loc = self.index().get(blob_id)
        if loc is None:
            raise IntegrityError(
                f"blob {blob_id.hex()} is not in any index; run `remit repo check`"
            )
        return loc

    def read_blob(self, blob_id: bytes, expected: BlobType | None = None) -> bytes:
        loc = self.locate(blob_id)
        if expected is not None and loc.blob_type != expected:
            raise IntegrityError(f"blob {blob_id.hex()} is not a {expected.name.lower()} blob")
        sealed = self.store.get_range(pack_key(loc.pack_id), loc.offset, loc.length)
        if len(sealed) != loc.length:
            raise IntegrityError(f"pack {loc.pack_id} is shorter than its index says")
        return blobs.decode(self.keyring, loc.generation, loc.blob_type, blob_id, sealed)

    # --- snapshots -----------------------------------------------------------------------------

    def snapshot_ids(self) -> list[str]:
        return [i.key[len(SNAPSHOTS_PREFIX) :] for i in self.store.list(SNAPSHOTS_PREFIX)]

    def load_snapshot_by_id(self, snapshot_id: str) -> Snapshot:
        doc = self.read_object("snapshot", SNAPSHOTS_PREFIX, snapshot_id)
        return Snapshot.from_json(snapshot_id, doc)

    def snapshots(self, *, resource: str | None = None) -> list[Snapshot]:
        """Every snapshot (oldest first), with legal holds filled in."""
        holds = self.holds()
        ids = self.snapshot_ids()
        with ThreadPoolExecutor(max_workers=8) as pool:
            loaded = list(pool.map(self._try_load_snapshot, ids))
        self.damaged_snapshots = [i for i, s in zip(ids, loaded, strict=True) if s is None]
        found = [replace(s, hold=holds.get(s.id)) for s in loaded if s is not None]
        if resource is not None:
            found = [s for s in found if s.resource == resource]
        return sorted(found, key=lambda s: (s.time, s.id))

    def _try_load_snapshot(self, snapshot_id: str) -> Snapshot | None:
        """A damaged snapshot is left out of listings (``check`` names it); the rest stay usable."""
        try:
            return self.load_snapshot_by_id(snapshot_id)
        except IntegrityError:
            return None

    def find_snapshot(self, ref: str, *, resource: str | None = None) -> Snapshot:
        """``latest`` (optionally of one resource) or a unique id prefix."""
        if ref == "latest":
            candidates = self.snapshots(resource=resource)
            if not candidates:
                where = f" of {resource}" if resource else ""
                raise NotFound(f"no snapshot{where} in {self.store.location} yet")
            return candidates[-1]
        matches = [i for i in self.snapshot_ids() if i.startswith(ref.lower())]
        if len(matches) != 1:
            why = "no snapshot" if not matches else f"{len(matches)} snapshots"
            raise NotFound(f"{why} with id {ref!r}; see `remit repo snapshots`")
        snap = self.load_snapshot_by_id(matches[0])
        return replace(snap, hold=self.holds().get(snap.id))

    def holds(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for info in self.store.list(HOLDS_PREFIX):
            snapshot_id = info.key[len(HOLDS_PREFIX) :]
            doc = open_object(self.keyring, "hold", self.store.get(info.key), "")
            if doc.get("snapshot") != snapshot_id:
                raise IntegrityError(f"hold object {info.key} does not match its name")
            out[snapshot_id] = str(doc.get("reason", ""))
        return out

    def set_hold(self, snapshot: Snapshot, reason: str, by: str) -> None:
        doc = {
            "snapshot": snapshot.id,
            "reason": reason,
            "by": by,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        _, raw = seal_object(self.keyring, "hold", doc)
        self.store.put(HOLDS_PREFIX + snapshot.id, raw)

    def release_hold(self, snapshot: Snapshot) -> None:
        self.store.delete(HOLDS_PREFIX + snapshot.id)

    def delete_snapshots(self, snapshots: Iterable[Snapshot]) -> None:
        for snap in snapshots:
            if snap.hold is not None:
                raise RepositoryError(f"snapshot {snap.short_id} is under legal hold")
            self.store.delete(SNAPSHOTS_PREFIX + snap.id)


def _write_cache(path: Path, raw: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}")
        tmp.write_bytes(raw)
        os.replace(tmp, path)
    except OSError:
        pass  # the cache only saves downloads; a read-only or full cache folder is not an error
