"""A run's results written to one output URI: per-document assignments as JSONL, the summary as JSON.

The analyst names where the results go (`output_uri` of a job, `--output` of the batch command) and
reads them there with their own tools, whatever replica ran the work. The URI is any that smart_open
can write: a local path, file://, s3://, gs://, azure://, hdfs://, webhdfs://, sftp://. http(s) is
read-only to smart_open, so it is refused when the run is submitted, not when it ends.

Names: a URI ending in `/` is a folder that gets `assignments.jsonl` and `summary.json`; any other URI
names the assignments file itself and the summary goes beside it, `<stem>.summary.json`, where the
stem drops `.gz` and `.jsonl`/`.json`. A URI ending in `.gz` makes both files gzipped (smart_open
compresses by the extension).

Assignments: one line per document, `{"id", "topic", "topics", "labels"}` (`topic` is the primary
topic, None when the document has none). Summary: `{"topics", "chart", "metrics", "labelling_errors"}`,
where `chart` is the trend table the chart is drawn from (windows and per-topic counts and status).
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlparse

from deployments.topics.dataset import GCS_SCHEMES

# The schemes smart_open writes (its http transport reads only); "" is a plain local path.
WRITABLE_SCHEMES = ("", "file", "s3", "gs", "gcs", "azure", "hdfs", "webhdfs", "sftp", "ssh", "scp")


class OutputError(RuntimeError):
    """Writing a run's results failed; the message names the URI and the cause."""


def check_output_uri(uri: str) -> str:
    """The URI unchanged, or ValueError naming the schemes accepted (a request's field validator)."""
    scheme = urlparse(uri).scheme.lower()
    if len(scheme) == 1:  # a Windows drive letter reads as a scheme; still a local path
        scheme = ""
    if scheme not in WRITABLE_SCHEMES:
        accepted = ", ".join(s + "://" for s in WRITABLE_SCHEMES if s)
        raise ValueError(f"cannot write results to a '{scheme}://' URI; use a local path or one of {accepted}")
    if not uri.strip():
        raise ValueError("the output URI is blank")
    return uri


def output_names(uri: str) -> tuple[str, str]:
    """(assignments URI, summary URI) of an output URI (see the module docstring)."""
    if uri.endswith("/"):
        return uri + "assignments.jsonl", uri + "summary.json"
    gz = uri.endswith(".gz")
    stem = uri[: -len(".gz")] if gz else uri
    for ext in (".jsonl", ".json"):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
            break
    return uri, stem + ".summary.json" + (".gz" if gz else "")


def transport_params(uri: str, storage_options: dict | None) -> dict:
    """smart_open's transport parameters from a run's storage options.

    The batch command's storage options are fsspec/pyarrow-style (`endpoint_url`, `key`, `secret`,
    `region`); smart_open's S3 transport takes boto3 client arguments, so they are renamed here. For
    gs://, an `endpoint_url` (a GCS-compatible server) becomes a google-cloud-storage client for it
    (`anonymous`: no credentials; `project`). Without options smart_open uses the default credential
    chain (environment, profile, role).
    """
    scheme = urlparse(uri).scheme
    if storage_options and scheme in GCS_SCHEMES and storage_options.get("endpoint_url"):
        return {"client": _gcs_client(storage_options)}
    if not storage_options or scheme != "s3":
        return {}
    names = {"endpoint_url": "endpoint_url", "key": "aws_access_key_id", "secret": "aws_secret_access_key",
             "aws_access_key_id": "aws_access_key_id", "aws_secret_access_key": "aws_secret_access_key",
             "region": "region_name", "region_name": "region_name", "token": "aws_session_token"}
    client = {names[k]: v for k, v in storage_options.items() if k in names}
    if "endpoint_url" in client:  # an S3-compatible server: a region must be named even if it ignores it
        client.setdefault("region_name", "us-east-1")
    return {"client_kwargs": {"S3.Client": client}} if client else {}


def _gcs_client(storage_options: dict) -> Any:
    """A google-cloud-storage client for the server at `endpoint_url` (imported on use, like smart_open's)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    anonymous = bool(storage_options.get("anonymous", False))
    return storage.Client(project=storage_options.get("project") or ("anonymous" if anonymous else None),
                          credentials=AnonymousCredentials() if anonymous else None,
                          client_options={"api_endpoint": storage_options["endpoint_url"]})


def assignment_rows(result: dict) -> list[dict]:
    """One row per document: id, primary topic, all its topics, its raw labels."""
    return [{"id": d["id"], "topic": d.get("primary_topic"), "topics": d.get("topics", []),
             "labels": d.get("labels", [])} for d in result["documents"]]


def summary_of(result: dict, metrics: dict | None = None, labelling_errors: list[dict] | None = None) -> dict:
    """The run's summary: topics, the chart's trend table, metrics (None without human topics), failures."""
    return {"topics": result["topics"], "chart": result["trends"], "metrics": metrics,
            "labelling_errors": labelling_errors or []}


def write_results(uri: str, result: dict, metrics: dict | None = None, labelling_errors: list[dict] | None = None,
                  storage_options: dict | None = None) -> dict[str, str]:
    """Writes the assignments and the summary; answers {"assignments", "summary"} URIs.

    Blocking (call it in a thread). Any failure (no such bucket, no permission, a full disk) is an
    `OutputError` naming the URI, so a job that cannot store its results fails saying so.
    """
    from smart_open import open as smart_open  # imported on use: not needed unless a run writes out

    check_output_uri(uri)
    assignments, summary = output_names(uri)
    params = transport_params(uri, storage_options)
    try:
        if urlparse(uri).scheme in ("", "file"):  # a local folder is made, as object stores need none
            os.makedirs(os.path.dirname(os.path.abspath(urlparse(assignments).path)), exist_ok=True)
        with smart_open(assignments, "w", encoding="utf-8", transport_params=params) as out:
            for row in assignment_rows(result):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        with smart_open(summary, "w", encoding="utf-8", transport_params=params) as out:
            json.dump(summary_of(result, metrics, labelling_errors), out, ensure_ascii=False, default=_plain)
    except Exception as exc:  # noqa: BLE001 - every transport raises its own kinds; the caller needs one
        raise OutputError(f"writing results to '{uri}' failed: {type(exc).__name__}: {exc}") from exc
    return {"assignments": assignments, "summary": summary}


def _plain(value: Any) -> Any:
    """numpy scalars and the like in metrics, as plain JSON values."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)
