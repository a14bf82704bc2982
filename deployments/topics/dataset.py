"""A corpus as a Ray Data dataset: read from any URI, validated, labelled in streamed batches.

The batch command and the jobs read JSONL (optionally .gz) or Parquet from a local path, https, s3 or
gs with Ray Data, so the corpus streams through worker processes block by block instead of being
read whole by the driver. Local paths, s3:// and gs:// resolve to pyarrow's own filesystems; https
has none in pyarrow, so it goes through fsspec's HTTP filesystem (aiohttp), which Ray Data accepts
as a filesystem and which reads by HTTP range requests, not by downloading the file first.

Labelling is a `map_batches` stage whose actors call `TopicPipeline.label_run` through a Serve
handle: the pipeline's labeller (and its label cache) does the work, so cached documents cost no LLM
call and the LLMServer replicas batch what the actors send.

Nothing here imports Ray at module import time: the unit tests check the row validation without it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlparse

from pydantic import ValidationError

from deployments.topics.corpus import CorpusError, is_parquet
from deployments.topics.protocol import CorpusDocument, field_message

EXCERPT_CHARS = 300  # the text a job keeps per document: enough to read in the console, bounded per row
_COMPRESSED = (".gz", ".bz2", ".zst", ".lz4")


GCS_SCHEMES = ("gs", "gcs")  # both name Google Cloud Storage (smart_open and fsspec accept either)
# object stores whose server `storage_options["endpoint_url"]` may name (`filesystem` builds pyarrow's for them)
ENDPOINT_SCHEMES = ("s3", *GCS_SCHEMES)


def filesystem(uri: str, storage_options: dict | None = None) -> Any:
    """The filesystem Ray Data should read `uri` with; None lets Ray resolve it (local, s3, gs).

    https/http: fsspec's HTTPFileSystem (pyarrow has no HTTP filesystem). s3 with an `endpoint_url` in
    `storage_options` (an S3-compatible server): pyarrow's S3FileSystem pointed at it. gs with an
    `endpoint_url` (a GCS-compatible server or emulator; `anonymous`: true for one without credentials,
    `project`): pyarrow's GcsFileSystem pointed at it.
    """
    scheme = urlparse(uri).scheme
    options = dict(storage_options or {})
    if scheme in ("http", "https"):
        from fsspec.implementations.http import HTTPFileSystem

        # block_size 0: one streamed GET per file, so any server works (no Range requests needed)
        return HTTPFileSystem(**{"block_size": 0, **options})
    if scheme == "s3" and options.get("endpoint_url"):
        from pyarrow.fs import S3FileSystem

        endpoint = urlparse(options["endpoint_url"])
        return S3FileSystem(endpoint_override=endpoint.netloc, scheme=endpoint.scheme or "https",
                            region=options.get("region", "us-east-1"),
                            access_key=options.get("key"), secret_key=options.get("secret"))
    if scheme in GCS_SCHEMES and options.get("endpoint_url"):
        from pyarrow.fs import GcsFileSystem

        endpoint = urlparse(options["endpoint_url"])
        return GcsFileSystem(endpoint_override=endpoint.netloc, scheme=endpoint.scheme or "https",
                             anonymous=bool(options.get("anonymous", False)), project_id=options.get("project"))
    return None


def filesystem_path(uri: str, fs: Any) -> str:
    """The path `fs` is given: a custom pyarrow S3 or GCS filesystem wants `bucket/key`, not the URI."""
    if fs is not None and urlparse(uri).scheme in ENDPOINT_SCHEMES:
        parsed = urlparse(uri)
        return parsed.netloc + parsed.path
    return uri


def read_dataset(uri: str, limit: int | None = None, storage_options: dict | None = None,
                 read_cpus: float = 0.0, num_blocks: int | None = None):
    """The validated corpus at `uri` as a Ray Data dataset of `id`, `text`, `timestamp`, `human_topics` rows.

    A row that is not a valid document fails the dataset with a `CorpusError` naming it. Reading and
    validating reserve no CPU by default: the app's deployments may hold every CPU of a small node, and a
    read task waiting for a reservation it can never get stalls the whole run while the labelling
    actors wait for its rows. `num_blocks` asks Ray Data for that many blocks (it splits even a single
    file's rows), so a labelling stage downstream gets work in steps of that size; None: Ray's choice.
    (Not `Dataset.repartition`: its streaming form takes no CPU setting and reserves one per task.)
    """
    import ray.data

    fs = filesystem(uri, storage_options)
    path = filesystem_path(uri, fs)
    if is_parquet(uri):
        ds = ray.data.read_parquet(path, filesystem=fs, num_cpus=read_cpus, override_num_blocks=num_blocks)
    else:
        compression = next((ext[1:] for ext in _COMPRESSED if urlparse(uri).path.endswith(ext)), None)
        extra = {"arrow_open_stream_args": {"compression": {"gz": "gzip", "bz2": "bz2", "zst": "zstd",
                                                            "lz4": "lz4"}[compression]}} if compression else {}
        # Arrow's JSON reader (lines=False) reads newline-delimited JSON and takes a filesystem;
        # Ray's `lines=True` reader (pandas) takes neither a filesystem nor a compression
        ds = ray.data.read_json(path, filesystem=fs, num_cpus=read_cpus, file_extensions=None,
                                override_num_blocks=num_blocks, **extra)
    if limit is not None:
        ds = ds.limit(limit)
    return ds.map_batches(validate_batch, batch_format="pyarrow", num_cpus=read_cpus, zero_copy_batch=True)


def _plain(value: Any) -> Any:
    """Arrow's inferred timestamps back to ISO text, as the pydantic models read them."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def validate_rows(rows: list[dict]) -> list[dict]:
    """Each row as a validated `CorpusDocument`, JSON-ready. A bad row is a `CorpusError` naming its id and
    field (a Ray Data block has no line numbers; a job checks a JSONL corpus line by line first)."""
    documents = []
    for row in rows:
        raw = {k: _plain(v) for k, v in row.items() if v is not None}
        try:
            doc = CorpusDocument.model_validate(raw).model_dump(mode="json")
        except ValidationError as exc:
            raise CorpusError(f"document {raw.get('id', '?')!r}: {field_message(exc.errors()[0])}") from None
        documents.append({"id": doc["id"], "text": doc["text"], "timestamp": doc.get("timestamp"),
                          "human_topics": doc.get("human_topics")})
    return documents


def documents_table(documents: list[dict]):
    """Validated documents as an Arrow table with one fixed schema, whatever the source file inferred."""
    import pyarrow as pa

    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("timestamp", pa.string()),
                        ("human_topics", pa.list_(pa.string()))])
    return pa.Table.from_pylist(documents, schema=schema)


def validate_batch(batch):
    """`map_batches` stage: the batch's rows validated (see `validate_rows`)."""
    return documents_table(validate_rows(batch.to_pylist()))


def labelled_table(rows: list[dict], labels: list[list[str]], errors: dict[int, str]):
    """The rows with their `labels` and `label_error` (None when labelled) columns."""
    import pyarrow as pa

    table = documents_table(rows)
    table = table.append_column("labels", pa.array(labels, type=pa.list_(pa.string())))
    return table.append_column("label_error", pa.array([errors.get(i) for i in range(len(rows))], type=pa.string()))


def split_labelled(rows: list[dict]) -> tuple[list[dict], list[list[str]], list[dict]]:
    """`labelled_table`'s rows back as (documents, labels, labelling errors): a document keeps its set
    fields, an error names its row's `id` and `index`."""
    documents, labels, errors = [], [], []
    for index, row in enumerate(rows):
        documents.append({k: row[k] for k in ("id", "text", "timestamp", "human_topics") if row.get(k) is not None})
        labels.append(list(row["labels"] or []))
        if row["label_error"] is not None:
            errors.append({"id": row["id"], "index": index, "message": row["label_error"]})
    return documents, labels, errors


class ServeLabeler:
    """`map_batches` actor: labels a batch through `TopicPipeline.label_run` of the Serve app `app_name`.

    A batch whose whole call fails gets an error on every row, so one bad batch of a large corpus is
    reported, not fatal to the rest.
    """

    def __init__(self, app_name: str, domain: dict | None = None) -> None:
        from ray import serve

        self.handle = serve.get_deployment_handle("TopicPipeline", app_name=app_name)
        self.domain = domain

    def __call__(self, batch):
        from deployments.topics.labeling import failure_message

        rows = batch.to_pylist()
        texts = [r["text"] for r in rows]
        try:
            run = self.handle.label_run.remote(texts, *([self.domain] if self.domain else [])).result()
        except Exception as exc:  # noqa: BLE001 - recorded per document, the other batches go on
            message = failure_message(exc)
            return labelled_table(rows, [[] for _ in rows], {i: message for i in range(len(rows))})
        return labelled_table(rows, run.labels, {e["index"]: e["message"] for e in run.errors})


def label_dataset(ds, app_name: str, domain: dict | None = None, batch_size: int = 16, in_flight: int = 2,
                  actor_cpus: float = 0.0):
    """`ds` with `labels` and `label_error` columns, labelled by `in_flight` actors of `batch_size` rows.

    The actors only wait on the TopicPipeline handle (the LLM work is in the deployments' replicas), so
    by default they reserve no CPU: reserving some left `in_flight` actors unscheduled on a 2-core node.

    An actor labels a whole input block (in `batch_size` calls) and hands it on as one block, so the
    caller sees labels as often as `ds` has blocks: read it with `num_blocks` for finer steps."""
    return ds.map_batches(ServeLabeler, fn_constructor_kwargs={"app_name": app_name, "domain": domain},
                          batch_format="pyarrow", batch_size=batch_size, concurrency=in_flight, num_cpus=actor_cpus)


def excerpt(text: str, chars: int = EXCERPT_CHARS) -> str:
    """The start of `text`, whitespace folded, at most `chars` characters (an ellipsis marks a cut)."""
    folded = " ".join(text.split())
    return folded if len(folded) <= chars else folded[: chars - 1] + "\u2026"


def configure(preserve_order: bool = True) -> None:
    """Ray Data settings of a corpus run: rows in the corpus's order (the results keep it), and no
    Ray Data progress bars (the batch command shows its own, counting documents)."""
    from ray.data import DataContext

    ctx = DataContext.get_current()
    ctx.execution_options.preserve_order = preserve_order
    ctx.enable_progress_bars = False
    ctx.raise_original_map_exception = True  # a bad row's CorpusError, not Ray's wrapper, reaches the caller


def corpus_error(exc: BaseException) -> CorpusError | None:
    """The `CorpusError` a Ray Data worker raised, found through the exceptions Ray wraps it in (a
    `RayTaskError` keeps the worker's exception as `cause`; across processes only its traceback text
    may survive, so that is read last)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current) is CorpusError:
            return current
        if type(current).__name__ == "ArrowInvalid":  # the JSON reader's parse error: the file, not the service
            return CorpusError(f"not valid JSONL or Parquet: {str(current).splitlines()[0]}")
        if isinstance(current, json.JSONDecodeError):  # a line Ray Data's JSON reader handed to Python's json
            return CorpusError(f"not valid JSONL: {current.msg} (line {current.lineno}, column {current.colno})")
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__
    text = str(exc)
    for marker in ("CorpusError: ", "ArrowInvalid: ", "JSONDecodeError: "):
        if marker in text:
            line = text.rsplit(marker, 1)[1].splitlines()[0].strip()
            return CorpusError(line if marker == "CorpusError: " else f"not valid JSONL or Parquet: {line}")
    return None
