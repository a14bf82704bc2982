"""Opening the shared LanceDB database: a local directory by default, an object-store URI on a cluster.

LanceDB connects lazily, so a bad URI or a missing credential would only surface at the first read or
write, as a 500 on some later request. `open_database` probes the location at once instead (a write
probe for a local directory, a table listing for an object store) and raises `StorageError` naming the
setting, so the replica fails to start and `/healthz` says why. Credentials live only in
`storage_options` (or the environment) and never appear in a message or a log line.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

OBJECT_STORE_SCHEMES = ("s3", "gs", "az")


class StorageError(RuntimeError):
    """The database could not be opened; the message names the setting and never holds a credential."""


class StorageSettings(BaseModel):
    """Where the database lives. Shared by the DocumentStore and the topic pipeline (their own tables)."""

    model_config = ConfigDict(extra="forbid")

    data_dir: str = Field(
        "~/.local/share/medici",
        description="Local directory for the database when `uri` is not set (`~` is expanded). Lost with the "
        "node on a cluster: set `uri` to an s3:// or gs:// location there.",
    )
    uri: str | None = Field(
        None,
        description="Database location: a local directory, or s3://bucket/prefix, gs://bucket/prefix so "
        "replicas on several nodes share one database. Default: `<data_dir>/lancedb`.",
    )
    storage_options: dict[str, str] = Field(
        default_factory=dict,
        description="Object-store options passed to LanceDB (region, endpoint, allow_http, ...). Prefer "
        "environment variables (AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS) for secrets; values here "
        "are never logged.",
    )
    read_consistency_s: float = Field(
        0.0,
        ge=0,
        description="How stale a replica's view of another replica's writes may be, in seconds; 0 checks for "
        "new versions on every read (strong consistency, one small metadata read per query).",
    )

    def resolved_uri(self) -> str:
        """The database URI: `uri`, or `<data_dir>/lancedb` with `~` expanded."""
        if self.uri:
            return self.uri if is_object_store(self.uri) else str(Path(self.uri).expanduser())
        return str(Path(self.data_dir).expanduser() / "lancedb")


def is_object_store(uri: str) -> bool:
    return urlsplit(uri).scheme in OBJECT_STORE_SCHEMES


def redacted(uri: str) -> str:
    """The URI without any user:password part, safe to log."""
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    return urlunsplit(parts._replace(netloc=parts.hostname or ""))


def open_database(uri: str, storage_options: dict[str, str] | None = None, *, setting: str = "storage.uri",
                  read_consistency_s: float = 0.0) -> Any:
    """A LanceDB connection to ``uri``, checked to be usable now; `StorageError` naming ``setting`` if not."""
    import lancedb  # imported on use: importing a deployment module stays light

    options = dict(storage_options or {})
    if not uri:
        raise StorageError(f"{setting} is empty: set it to a local directory or an s3:// or gs:// URI")
    if not is_object_store(uri):
        if "://" in uri and urlsplit(uri).scheme not in ("file", ""):
            raise StorageError(f"{setting}={redacted(uri)!r}: unsupported scheme; use a local directory, "
                               f"or one of {', '.join(s + '://' for s in OBJECT_STORE_SCHEMES)}")
        _check_local_directory(uri, setting)
    try:
        db = lancedb.connect(uri, storage_options=options or None,
                             read_consistency_interval=timedelta(seconds=read_consistency_s))
        if is_object_store(uri):
            list(db.list_tables())  # reaches the bucket: a missing bucket or credential fails here, not later
    except StorageError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure becomes one message naming the setting
        raise StorageError(f"{setting}={redacted(uri)!r} cannot be opened: {_safe_reason(exc, options)}") from None
    return db


def _check_local_directory(uri: str, setting: str) -> None:
    path = Path(uri.removeprefix("file://")).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise StorageError(f"{setting}={str(path)!r} is not a writable directory: "
                           f"{exc.strerror or type(exc).__name__}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise StorageError(f"{setting}={str(path)!r} is not a writable directory")


def _safe_reason(exc: BaseException, options: dict[str, str]) -> str:
    """The error's text with every storage option value blanked out, in case a library echoes one."""
    text = f"{type(exc).__name__}: {exc}"
    for value in options.values():
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"):
        secret = os.environ.get(name)
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text[:500]


def open_table(db: Any, name: str, schema: Any) -> Any:
    """The table ``name``, created empty with ``schema`` if missing; safe when replicas race to create it."""
    try:
        return db.create_table(name, schema=schema, exist_ok=True)
    except Exception:  # noqa: BLE001 - another replica created it between our check and our create
        return db.open_table(name)
