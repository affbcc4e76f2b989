"""Where repository objects live: the ``Store`` protocol and its backends."""

from remit.repository.stores.base import ObjectInfo, Spool, Store
from remit.repository.stores.local import LocalStore
from remit.repository.stores.s3 import ObjectLock, S3Store
from remit.repository.stores.url import open_store

__all__ = ["LocalStore", "ObjectInfo", "ObjectLock", "S3Store", "Spool", "Store", "open_store"]
