"""The files of a batch run at an output URI (local folder, s3://, gs://), through pyarrow's filesystems.

The driver streams the labelled rows into `labelled.parquet` batch by batch (so it never holds the
corpus); one TopicPipeline replica then reads that file, assembles the topics and writes the answer
files next to it: `results.jsonl`, `topics.json`, `chart.png`, `labelling_errors.jsonl` and, when some
documents have `human_topics`, `metrics.json` and `vibe_check.md` on those documents.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable
from urllib.parse import urlparse

from deployments.topics.corpus import CorpusError
from deployments.topics.dataset import ENDPOINT_SCHEMES, filesystem, filesystem_path, split_labelled

LABELLED = "labelled.parquet"


def output_fs(uri: str, storage_options: dict | None = None) -> tuple[Any, str]:
    """(pyarrow filesystem, base path) of an output folder URI; a plain path is made absolute."""
    import pyarrow.fs as pafs

    custom = filesystem(uri, storage_options) if urlparse(uri).scheme in ENDPOINT_SCHEMES else None
    if custom is not None:
        return custom, filesystem_path(uri, custom).rstrip("/")
    if not urlparse(uri).scheme:
        return pafs.LocalFileSystem(), os.path.abspath(uri)
    fs, path = pafs.FileSystem.from_uri(uri)
    return fs, path.rstrip("/")


class LabelledWriter:
    """Appends labelled Arrow batches to `<out>/labelled.parquet`; counts rows and failed labellings."""

    def __init__(self, out_uri: str, storage_options: dict | None = None) -> None:
        self.fs, self.base = output_fs(out_uri, storage_options)
        self.fs.create_dir(self.base, recursive=True)
        self.uri = out_uri.rstrip("/") + "/" + LABELLED
        self.rows = self.failed = 0
        self.first_error: str | None = None
        self._stream = self._writer = None

    def write(self, batch) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:
            self._stream = self.fs.open_output_stream(f"{self.base}/{LABELLED}")
            self._writer = pq.ParquetWriter(self._stream, batch.schema)
        self._writer.write_table(batch)
        self.rows += batch.num_rows
        errors = [e for e in batch.column("label_error").to_pylist() if e is not None]
        self.failed += len(errors)
        if errors and self.first_error is None:
            self.first_error = errors[0]

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._stream.close()

    def __enter__(self) -> "LabelledWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_labelled(uri: str, storage_options: dict | None = None) -> tuple[list[dict], list[list[str]], list[dict]]:
    """(documents, labels, labelling errors) from a labelled Parquet file; duplicate ids are a CorpusError."""
    import pyarrow.parquet as pq

    fs, path = output_fs(uri, storage_options)
    documents, labels, errors = split_labelled(pq.read_table(path, filesystem=fs).to_pylist())
    if len({d["id"] for d in documents}) != len(documents):
        raise CorpusError(f"{uri}: document ids must be unique")
    return documents, labels, errors


def _lines(rows: Iterable[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write_outputs(out_uri: str, result: dict, errors: list[dict], chart_png: bytes, evaluation: dict | None = None,
                  storage_options: dict | None = None) -> None:
    """The answer files of a batch run (see the module docstring) in the output folder."""
    fs, base = output_fs(out_uri, storage_options)
    files: dict[str, bytes] = {
        "results.jsonl": _lines(result["documents"]).encode(),
        "topics.json": json.dumps({"topics": result["topics"], "trends": result["trends"]}, indent=1).encode(),
        "chart.png": chart_png,
        "labelling_errors.jsonl": _lines(errors).encode(),
    }
    if evaluation is not None:
        files["metrics.json"] = json.dumps(evaluation["metrics"], indent=1).encode()
        files["vibe_check.md"] = evaluation["markdown"].encode()
    for name, content in files.items():
        with fs.open_output_stream(f"{base}/{name}") as stream:
            stream.write(content)
