"""Reading a labelled or unlabelled JSONL corpus from any URI smart_open reads (local, https, s3, gs, .gz),
or from an uploaded file's text.

Shared by the jobs (on the replica) and the batch command, so both accept exactly the same files. The
errors are the caller's: a bad line is named by its 1-based line number and field ("line 2: field
`text` is required"), every bad line is counted, and with `skip` they are left out and listed instead;
a file that cannot be read names the URI as given and the cause (not found, access denied, not
JSONL), never a server path, a class name or the file's contents.
"""

from __future__ import annotations

import json
from typing import Iterable
from urllib.parse import urlparse

from deployments.topics.protocol import problems_message, unique_document

SKIP_HINT = " Fix them, or set `skip_bad_lines` to leave the bad lines out."
MAX_LISTED = 100  # skipped lines listed on a job; all are counted


def is_parquet(uri: str) -> bool:
    """Parquet by its extension (or a folder of Parquet files ending in /parquet); everything else is JSONL."""
    path = urlparse(uri).path.rstrip("/")
    return path.endswith((".parquet", ".pq"))


class CorpusError(ValueError):
    """A corpus that cannot be used, in the caller's words; `code` says why (for the API's error code)."""

    def __init__(self, message: str, code: str = "invalid_corpus") -> None:
        super().__init__(message)
        self.code = code


def parse_lines(lines: Iterable[str], where: str, limit: int | None = None,
                skip: bool = False, keep: bool = True) -> tuple[list[dict], list[dict]]:
    """Validated documents from JSONL lines, and the bad lines ({"line", "message"}) that `skip` left out.

    Without `skip`, any bad line raises a `CorpusError` that counts them all and names the first few.
    A repeated id is a bad line naming the line it repeats. Blank lines are not documents. With `keep`
    false only the ids are kept (a check of a big corpus before it is read again, in blocks)."""
    documents: list[dict] = []
    count = 0
    problems: list[dict] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if limit is not None and count >= limit:
            break
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append({"line": number, "message": f"not JSON ({exc.msg})"})
            continue
        doc, problem = unique_document(raw, number, seen, "line")
        if problem:
            problems.append({"line": number, "message": problem})
            continue
        count += 1
        if keep:
            documents.append(doc)
    if problems and not skip:
        raise CorpusError(problems_message(problems, "line", where, SKIP_HINT), "invalid_corpus")
    if not count:
        raise CorpusError(f"{where} holds no documents" + (" (every line was bad)" if problems else ""),
                          "empty_corpus")
    return documents, problems


def storage_error(uri: str, exc: BaseException) -> CorpusError:
    """Why `uri` could not be read, as the caller can act on it: not found, access denied, not JSONL.

    Matched by class name and the storage client's status (no import of boto3 or google-cloud here): a
    missing local file, a 404 or NoSuchKey/NoSuchBucket is "not found"; a 403, AccessDenied or a local
    permission error is "access denied"; bytes that are not UTF-8 text are "not JSONL"."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    response = getattr(exc, "response", None)
    response = response if isinstance(response, dict) else {}  # botocore's ClientError carries one
    code = str(response.get("Error", {}).get("Code", ""))
    http = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or getattr(exc, "status", None) \
        or getattr(exc, "code", None)
    text = str(exc)
    if names & {"FileNotFoundError", "NotFound", "NoSuchKey", "NoSuchBucket"} or code in ("NoSuchKey", "NoSuchBucket",
                                                                                           "404") \
            or http == 404 or "NoSuchKey" in text or "NoSuchBucket" in text:
        return CorpusError(f"cannot read {uri}: not found", "corpus_not_found")
    if names & {"PermissionError", "Forbidden"} or code in ("AccessDenied", "403") or http in (401, 403) \
            or "AccessDenied" in text:
        return CorpusError(f"cannot read {uri}: access denied", "corpus_access_denied")
    if names & {"UnicodeDecodeError"}:
        return CorpusError(f"cannot read {uri}: not JSONL (the file is not UTF-8 text)", "corpus_not_jsonl")
    if names & {"IsADirectoryError"}:
        return CorpusError(f"cannot read {uri}: it is a folder, not a JSONL file", "corpus_not_jsonl")
    return CorpusError(f"cannot read {uri}: the storage could not be reached or refused the read",
                       "corpus_unreadable")


def _open(uri: str, storage_options: dict | None = None):
    from smart_open import open as smart_open

    transport = {"client_kwargs": {"S3.Client": dict(storage_options)}} \
        if storage_options and uri.startswith("s3://") else {}
    return smart_open(uri, "r", encoding="utf-8", transport_params=transport)


def read_documents(uri: str, limit: int | None = None, skip: bool = False,
                   storage_options: dict | None = None) -> list[dict]:
    """Validated documents (`id`, `text`, `timestamp`?, `human_topics`?) from a JSONL URI (see `read_corpus`)."""
    return read_corpus(uri, limit, skip, storage_options)[0]


def read_corpus(uri: str, limit: int | None = None, skip: bool = False,
                storage_options: dict | None = None, keep: bool = True) -> tuple[list[dict], list[dict]]:
    """Documents and skipped lines of a JSONL URI; a storage failure is a `CorpusError` saying why."""
    try:
        with _open(uri, storage_options) as lines:
            return parse_lines(lines, uri, limit, skip, keep)
    except CorpusError:
        raise
    except Exception as exc:  # noqa: BLE001 - any storage client's error, told in the caller's words
        raise storage_error(uri, exc) from None


def probe(uri: str, storage_options: dict | None = None) -> None:
    """Checks that `uri` can be read and starts like JSONL (its first non-blank line is a JSON object),
    reading only that line: a job is refused at once, saying why, instead of failing later."""

    try:
        if is_parquet(uri):
            with _open_binary(uri, storage_options) as handle:
                handle.read(4)
            return
        with _open(uri, storage_options) as handle:
            for line in handle:
                if line.strip():
                    try:
                        first = json.loads(line)
                    except json.JSONDecodeError:
                        raise CorpusError(f"cannot read {uri}: not JSONL (its first line is not JSON)",
                                          "corpus_not_jsonl") from None
                    if not isinstance(first, dict):
                        raise CorpusError(f"cannot read {uri}: not JSONL (its first line is not a JSON object)",
                                          "corpus_not_jsonl")
                    return
    except CorpusError:
        raise
    except Exception as exc:  # noqa: BLE001 - see read_corpus
        raise storage_error(uri, exc) from None
    raise CorpusError(f"{uri} holds no documents", "empty_corpus")


def _open_binary(uri: str, storage_options: dict | None = None):
    from smart_open import open as smart_open

    transport = {"client_kwargs": {"S3.Client": dict(storage_options)}} \
        if storage_options and uri.startswith("s3://") else {}
    return smart_open(uri, "rb", transport_params=transport)
