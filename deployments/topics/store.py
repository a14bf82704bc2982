"""The topic pipeline's tables in the shared database: the label cache and the jobs.

Both live in the LanceDB database of `deployments.storage` (a local directory, or an s3:// / gs://
URI on a cluster), so a label made by one replica is a cache hit on another and a job outlives the
replica that ran it. Rows are upserted by key with `merge_insert`, so a retried write does not
duplicate. Values are JSON text: labels and job documents are small and read whole, and a schema of
plain strings never needs a migration when a job document gains a field.

`MemoryJobStore` keeps jobs in a dict, for a deployment without `storage` and for unit tests.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

_KEYS_PER_QUERY = 500  # keys in one `IN (...)` filter


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class JobStore(Protocol):
    async def put(self, job: dict) -> None:
        """Stores (or replaces) the job document `job` under `job["id"]`."""
        ...

    async def get(self, job_id: str) -> dict | None: ...

    async def list(self) -> list[dict]:
        """Every job document, newest first."""
        ...


class MemoryJobStore:
    def __init__(self) -> None:
        self.jobs: dict[str, dict] = {}

    async def put(self, job: dict) -> None:
        self.jobs[job["id"]] = json.loads(json.dumps(job))

    async def get(self, job_id: str) -> dict | None:
        job = self.jobs.get(job_id)
        return json.loads(json.dumps(job)) if job else None

    async def list(self) -> list[dict]:
        return sorted((json.loads(json.dumps(j)) for j in self.jobs.values()), key=lambda j: j["created"], reverse=True)


class _Table:
    """One key -> JSON-text table, created on first use; LanceDB calls run in a worker thread."""

    def __init__(self, db: Any, name: str) -> None:
        import pyarrow as pa

        from deployments.storage.database import open_table

        self.schema = pa.schema([pa.field("key", pa.string(), nullable=False), pa.field("value", pa.string())])
        self.table = open_table(db, name, self.schema)

    def upsert(self, items: dict[str, str]) -> None:
        if not items:
            return
        rows = [{"key": k, "value": v} for k, v in items.items()]
        (self.table.merge_insert("key").when_matched_update_all().when_not_matched_insert_all().execute(rows))

    def read(self, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            part = keys[start : start + _KEYS_PER_QUERY]
            where = f"key IN ({', '.join(_quoted(k) for k in part)})"
            rows = self.table.search().where(where).select(["key", "value"]).limit(len(part)).to_list()
            found.update({r["key"]: r["value"] for r in rows})
        return found

    def all(self) -> list[str]:
        return [r["value"] for r in self.table.search().select(["value"]).limit(None).to_list()]


class LanceLabelStore:
    """`label_cache.LabelStore` in the `topic_labels` table."""

    def __init__(self, db: Any) -> None:
        self.table = _Table(db, "topic_labels")

    async def get_many(self, keys: list[str]) -> dict[str, list[str]]:
        if not keys:
            return {}
        found = await asyncio.to_thread(self.table.read, keys)
        return {k: json.loads(v) for k, v in found.items()}

    async def put_many(self, items: dict[str, list[str]]) -> None:
        await asyncio.to_thread(self.table.upsert, {k: json.dumps(v, ensure_ascii=False) for k, v in items.items()})


class LanceJobStore:
    """`JobStore` in the `topic_jobs` table."""

    def __init__(self, db: Any) -> None:
        self.table = _Table(db, "topic_jobs")

    async def put(self, job: dict) -> None:
        await asyncio.to_thread(self.table.upsert, {job["id"]: json.dumps(job, ensure_ascii=False)})

    async def get(self, job_id: str) -> dict | None:
        found = await asyncio.to_thread(self.table.read, [job_id])
        return json.loads(found[job_id]) if job_id in found else None

    async def list(self) -> list[dict]:
        jobs = [json.loads(v) for v in await asyncio.to_thread(self.table.all)]
        return sorted(jobs, key=lambda j: j["created"], reverse=True)
