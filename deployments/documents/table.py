"""The documents table in LanceDB: upsert by id, get, delete, paged listing, and the two rankings.

Plain Python over a LanceDB table, no Ray: the DocumentStore replica wraps it (and supplies the
vectors), unit tests drive it with hand-made vectors on a temporary directory. Every write is one
LanceDB commit, on disk (or in the object store) when the call returns. New rows are searchable at
once: LanceDB scans rows its indexes do not cover yet, and `maintain` folds them into the indexes and
compacts small writes in the background, so an add never rebuilds an index.

Each row keeps when it was first added (`added_at`, kept when the id is replaced) and last written
(`updated_at`), as ISO 8601 UTC text, which sorts by time; a table made before these columns existed
gets them (null for its old rows) when it is opened.

Metadata is stored as JSON text, plus a `pairs` column holding one `json([key, value])` string per
top-level scalar entry, so `filter: {key: value}` is an exact `array_has_all` test inside LanceDB
(hand-written because a JSON column cannot be filtered by key in LanceDB's SQL).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from datetime import timedelta
from typing import Any

import numpy as np

from deployments import errors

logger = logging.getLogger("ray.serve")

TABLE = "documents"
Scalar = (str, int, float, bool, type(None))
_COLUMNS = ["id", "text", "metadata", "added_at", "updated_at"]
_HIT = ["id", "text", "metadata"]  # a search result's columns
_TIME_COLUMNS = ("added_at", "updated_at")
ORDERS = ("id", "added")
_IN_CHUNK = 500  # ids per `id IN (...)` lookup


def utc_now() -> str:
    """The time now as the ISO 8601 UTC text stored in `added_at` and `updated_at`."""
    return dt.datetime.now(dt.timezone.utc).isoformat()


def ids_clause(ids: list[str]) -> str:
    """The SQL condition `id IN (...)` for ``ids``."""
    return "id IN (" + ", ".join(sql_string(i) for i in ids) + ")"


def both(*clauses: str | None) -> str | None:
    """The clauses that are given, joined by AND; None when there are none."""
    given = [c for c in clauses if c]
    return " AND ".join(f"({c})" for c in given) if given else None


def pair_key(key: str, value: Any) -> str:
    """One metadata entry as the string stored in `pairs` and looked up by a filter."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 3.0 in the metadata and 3 in the filter are the same number
    return json.dumps([key, value], ensure_ascii=True, separators=(",", ":"))


def sql_string(value: str) -> str:
    """A SQL string literal: single quotes doubled (LanceDB's SQL has no backslash escapes)."""
    return "'" + value.replace("'", "''") + "'"


def filter_clause(filter: dict[str, Any] | None) -> str | None:
    """The SQL condition for `filter: {key: value}` (all must match); 400 for a value that is not a scalar."""
    if not filter:
        return None
    for key, value in filter.items():
        if not isinstance(value, Scalar):
            raise errors.bad_request(f"filter values must be strings, numbers, booleans or null; {key!r} is not",
                                     param="filter")
    return "array_has_all(pairs, [" + ", ".join(sql_string(pair_key(k, v)) for k, v in filter.items()) + "])"


class DocumentTable:
    """One LanceDB table of documents {id, text, metadata, pairs, vector}."""

    def __init__(self, db: Any, fts_language: str = "English", fts_stem: bool = True,
                 maintain_every: int = 100, vector_index_min_rows: int = 5000, nprobes: int = 20,
                 max_vector_segments: int = 2) -> None:
        self.db = db
        self.fts_language = fts_language
        self.fts_stem = fts_stem
        self.maintain_every = maintain_every
        self.vector_index_min_rows = vector_index_min_rows
        self.nprobes = nprobes
        self.max_vector_segments = max_vector_segments
        self._table = None
        self._writes_since_maintain = 0
        self._maintaining = threading.Lock()

    # --- the table ---------------------------------------------------------------------------------
    def table(self, dimension: int | None = None) -> Any:
        """The table, opened when another replica created it; created when ``dimension`` is given."""
        if self._table is None:
            from deployments.storage import table_exists

            if table_exists(self.db, TABLE):
                self._table = _with_times(self.db.open_table(TABLE))
            elif dimension is not None:
                self._table = self._create(dimension)
        return self._table

    def _create(self, dimension: int) -> Any:
        import pyarrow as pa
        from lancedb.index import FTS

        from deployments.storage import open_table

        # The id as Lance's (unenforced) primary key: merge_insert then records the keys it inserts, so two
        # writers inserting the same new id conflict and one retries, instead of both committing a row.
        key = pa.field("id", pa.string(), nullable=False, metadata={"lance-schema:unenforced-primary-key": "true"})
        schema = pa.schema([key, ("text", pa.string()), ("metadata", pa.string()),
                            ("pairs", pa.list_(pa.string())), ("vector", pa.list_(pa.float32(), dimension)),
                            ("added_at", pa.string()), ("updated_at", pa.string())])
        table = open_table(self.db, TABLE, schema)
        if not any(index.columns == ["text"] for index in table.list_indices()):
            # Stop words stay indexed: a text of only "the" must still be found by a search for "the".
            table.create_index("text", config=FTS(language=self.fts_language, stem=self.fts_stem,
                                                  remove_stop_words=False), replace=False)
        return table

    # --- writes -------------------------------------------------------------------------------------
    def upsert(self, documents: list[dict[str, Any]], vectors: np.ndarray, now: str | None = None) -> None:
        """Insert or replace by id, in one commit; a later duplicate id in the batch wins.

        A document without a `metadata` key keeps the stored metadata (none: `{}`); `None` clears it. A
        replaced document keeps its `added_at`; every written one gets `updated_at` = ``now`` (default: now).
        """
        if not documents:
            return
        now = now or utc_now()
        import pyarrow as pa

        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(documents), -1)
        last = {doc["id"]: i for i, doc in enumerate(documents)}  # a later duplicate id wins
        keep = sorted(last.values())
        docs = [documents[i] for i in keep]
        table = self.table(dimension=vectors.shape[1])
        stored = self.stored(list(last))
        metadata = [(doc.get("metadata") or {}) if "metadata" in doc else stored.get(doc["id"], {}).get("metadata", {})
                    for doc in docs]
        added = [stored[doc["id"]]["added_at"] if doc["id"] in stored else now for doc in docs]
        # Columns built straight from the numpy matrix: per-row Python lists of floats would dominate
        # the time of a bulk add. The table's schema keeps the key non-nullable.
        columns = {
            "id": pa.array([doc["id"] for doc in docs], pa.string()),
            "text": pa.array([doc["text"] for doc in docs], pa.string()),
            "metadata": pa.array([json.dumps(m, ensure_ascii=False) for m in metadata], pa.string()),
            "pairs": pa.array([[pair_key(k, v) for k, v in m.items() if isinstance(v, Scalar)] for m in metadata],
                              pa.list_(pa.string())),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(vectors[keep]).ravel()),
                                                        vectors.shape[1]),
            "added_at": pa.array(added, pa.string()),
            "updated_at": pa.array([now] * len(docs), pa.string()),
        }
        data = pa.Table.from_arrays([columns[name] for name in table.schema.names], schema=table.schema)
        table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(
            data, timeout=timedelta(seconds=120))
        self._wrote()

    def stored(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The stored ``ids``' metadata and `added_at`, by id (ids not stored are absent)."""
        table = self.table()
        if table is None or not ids:
            return {}
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), _IN_CHUNK):
            part = ids[start : start + _IN_CHUNK]
            rows = table.search().where(ids_clause(part)).select(["id", "metadata", "added_at"]).limit(len(part))
            for row in rows.to_list():
                found[row["id"]] = {"metadata": json.loads(row["metadata"] or "{}"), "added_at": row["added_at"]}
        return found

    def delete(self, doc_id: str) -> bool:
        """Delete by id; False when there was no such document."""
        table = self.table()
        if table is None or self.get(doc_id) is None:
            return False
        table.delete(f"id = {sql_string(doc_id)}")
        self._wrote()
        return True

    # --- reads --------------------------------------------------------------------------------------
    def count(self) -> int:
        table = self.table()
        return 0 if table is None else table.count_rows()

    def get(self, doc_id: str) -> dict[str, Any] | None:
        table = self.table()
        if table is None:
            return None
        rows = table.search().where(f"id = {sql_string(doc_id)}").select(_COLUMNS).limit(1).to_list()
        return _document(rows[0]) if rows else None

    def page(self, limit: int, offset: int, where: str | None = None,
             order: str = "id") -> tuple[list[dict[str, Any]], int]:
        """The matching documents ``offset`` to ``offset + limit`` and how many match in all.

        `order` "id": by id, A to Z; "added": newest first (rows stored before `added_at` existed last),
        then by id. LanceDB's queries have no ORDER BY, so the ids and times of the matching rows are read
        (two short columns), sorted here, and only the page's rows are fetched in full.
        """
        if order not in ORDERS:
            raise errors.bad_request(f"order must be one of {', '.join(ORDERS)}", param="order")
        table = self.table()
        if table is None:
            return [], 0
        total = table.count_rows(where) if where else table.count_rows()
        if not limit or offset >= total:
            return [], total
        keys = table.search().select(["id", "added_at"]).limit(total)
        keys = (keys.where(where) if where else keys).to_arrow()
        # sorted in Arrow (no Python row per document); rows without `added_at` last
        by = [("added_at", "descending"), ("id", "ascending")] if order == "added" else [("id", "ascending")]
        ids = keys.sort_by(by).column("id").slice(offset, limit).to_pylist()
        rows = {row["id"]: row for row in table.search().where(ids_clause(ids)).select(_COLUMNS).limit(len(ids))
                .to_list()}
        return [_document(rows[i]) for i in ids if i in rows], total

    def semantic(self, vector: np.ndarray, k: int, where: str | None = None) -> list[dict[str, Any]]:
        """The ``k`` nearest documents by cosine (the score), best first."""
        table = self.table()
        if table is None:
            return []
        query = table.search(np.asarray(vector, dtype=np.float32).ravel(), vector_column_name="vector")
        query = query.distance_type("cosine").nprobes(self.nprobes).select([*_HIT, "_distance"]).limit(k)
        if where:
            query = query.where(where, prefilter=True)
        return [{**_hit(row), "score": round(1.0 - float(row["_distance"]), 6)} for row in query.to_list()]

    def keyword(self, text: str, k: int, where: str | None = None) -> list[dict[str, Any]]:
        """The ``k`` best documents by BM25 (the score) over the full-text index, best first."""
        table = self.table()
        if table is None:
            return []
        query = table.search(text, query_type="fts", fts_columns="text").select([*_HIT, "_score"]).limit(k)
        if where:
            query = query.where(where, prefilter=True)
        return [{**_hit(row), "score": round(float(row["_score"]), 6)} for row in query.to_list()
                if row["_score"] > 0]

    # --- upkeep -------------------------------------------------------------------------------------
    def _wrote(self) -> None:
        self._writes_since_maintain += 1
        if self._writes_since_maintain >= self.maintain_every and not self._maintaining.locked():
            self._writes_since_maintain = 0
            threading.Thread(target=self.maintain, name="documents-maintain", daemon=True).start()

    def maintain(self) -> None:
        """Compact small writes and fold new rows into the indexes (incremental, never a full rebuild).

        Safe to run from several replicas: a commit that conflicts is logged and retried at the next turn.
        """
        with self._maintaining:
            try:
                table = self.table()
                if table is None:
                    return
                table.optimize(cleanup_older_than=timedelta(minutes=10))
                self._index_vectors(table)
            except Exception as exc:  # noqa: BLE001 - upkeep must never fail a write
                logger.warning("documents table upkeep failed (retried later): %s", exc)

    def _index_vectors(self, table: Any) -> None:
        """An IVF_FLAT index once the table is big enough for a full scan to be slow.

        IVF_FLAT keeps exact vectors (no quantization error) and trains quickly (10 k-means rounds on
        a sample); `optimize` then adds new rows as delta segments, and rows not yet added are scanned
        exactly. Retrained once there are more than `max_vector_segments` segments.
        """
        from lancedb.index import IvfFlat

        existing = [index for index in table.list_indices() if index.columns == ["vector"]]
        if existing:
            # Each `optimize` adds the new rows as one more delta segment, and a search probes every
            # segment: past a few, one retrained index (a few seconds, in this background thread) is faster.
            if table.index_stats(existing[0].name).num_indices <= self.max_vector_segments:
                return
        rows = table.count_rows()
        if rows < self.vector_index_min_rows:
            return
        partitions = max(1, int(rows ** 0.5) // 2)
        table.create_index("vector", config=IvfFlat(distance_type="cosine", num_partitions=partitions,
                                                    max_iterations=10, sample_rate=64), replace=True)


def _document(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "text": row["text"], "metadata": json.loads(row["metadata"] or "{}"),
            "added_at": row.get("added_at"), "updated_at": row.get("updated_at")}


def _hit(row: dict[str, Any]) -> dict[str, Any]:
    """A search result's document: id, text and metadata (the times are for browsing)."""
    return {"id": row["id"], "text": row["text"], "metadata": json.loads(row["metadata"] or "{}")}


def _with_times(table: Any) -> Any:
    """A table made before `added_at`/`updated_at` existed gets them, null for the rows it holds."""
    missing = [name for name in _TIME_COLUMNS if name not in table.schema.names]
    if missing:
        try:
            table.add_columns({name: "CAST(NULL AS STRING)" for name in missing})
        except Exception as exc:  # noqa: BLE001 - another replica may have added them at the same moment
            logger.info("documents table: adding %s (another replica may have): %s", missing, exc)
            table.checkout_latest()
    return table
