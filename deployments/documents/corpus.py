"""Reading a JSONL corpus from any URI smart_open understands (local, https, s3, gs, .gz)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deployments import errors

REPO_ROOT = Path(__file__).resolve().parents[2]


def resolve_uri(uri: str) -> str:
    """A relative local path is read from the repository root, whatever the replica's cwd."""
    if "://" in uri or Path(uri).is_absolute():
        return uri
    return str(REPO_ROOT / uri)


def read_jsonl(uri: str, storage_options: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Documents of a JSONL file; each line needs a string `id` and a string `text`.

    ``storage_options`` are S3 client arguments (endpoint_url, region_name) for an s3:// URI;
    credentials come from the environment, as boto3 reads them.
    """
    from smart_open import open as smart_open  # imported on use; transparently decompresses .gz

    transport = {"client_kwargs": {"S3.Client": dict(storage_options)}} if storage_options and uri.startswith("s3://") else {}
    documents: list[dict[str, Any]] = []
    with smart_open(resolve_uri(uri), "r", encoding="utf-8", transport_params=transport) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                raise errors.bad_request(f"{uri} line {number} is not JSON: {exc.msg}") from None
            documents.append(check_document(doc, f"{uri} line {number}"))
    return documents


def check_document(doc: Any, where: str) -> dict[str, Any]:
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not isinstance(doc.get("text"), str):
        raise errors.bad_request(f"{where}: a document needs a string 'id' and a string 'text'")
    if not doc["id"] or not doc["text"].strip():
        raise errors.bad_request(f"{where}: 'id' and 'text' must not be empty")
    checked = {"id": doc["id"], "text": doc["text"]}
    if "metadata" in doc:  # left out: an update keeps the stored metadata; null clears it
        metadata = doc["metadata"]
        if metadata is not None and not isinstance(metadata, dict):
            raise errors.bad_request(f"{where}: 'metadata' must be an object")
        checked["metadata"] = metadata or {}
    return checked
