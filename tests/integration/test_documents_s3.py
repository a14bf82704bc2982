"""Documents in object storage, for real: a moto S3 server on loopback (started here), LanceDB writing
the documents table to s3://, the DocumentStore reading its `corpus_uri` from s3:// through smart_open.

The Embedder is a small fake (this file tests storage, not the model); the database, the S3 protocol
and smart_open are the real ones.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading

import numpy as np
import pytest

from deployments.documents.corpus import read_jsonl
from deployments.documents.store import DocumentStore
from deployments.documents.table import DocumentTable
from deployments.storage import StorageError, open_database
from tests.unit.documents.test_store import AnyScriptEmbedder, _vector

pytestmark = pytest.mark.integration

BUCKET = "medici-test"
KEY, SECRET = "testing-key-id", "testing-secret-value"


@pytest.fixture(scope="module")
def s3_endpoint(monkeypatch_module):
    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch_module.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _options(endpoint: str) -> dict[str, str]:
    return {"aws_endpoint": endpoint, "aws_region": "us-east-1", "allow_http": "true"}


def test_documents_table_lives_in_s3_and_a_second_connection_sees_it(s3_endpoint):
    uri = f"s3://{BUCKET}/db-shared"
    one = DocumentTable(open_database(uri, _options(s3_endpoint)))
    two = DocumentTable(open_database(uri, _options(s3_endpoint)))
    one.upsert([{"id": "a", "text": "stored in object storage", "metadata": {"where": "s3"}}],
               np.asarray([_vector("stored in object storage")]))
    got = two.get("a")
    assert {k: got[k] for k in ("id", "text", "metadata")} == {"id": "a", "text": "stored in object storage",
                                                              "metadata": {"where": "s3"}}
    assert got["added_at"] and got["added_at"] == got["updated_at"]  # kept beside the text, in S3 too
    assert [hit["id"] for hit in two.keyword("object storage", 5)] == ["a"]
    two.delete("a")
    assert one.get("a") is None

    import boto3

    keys = [o["Key"] for o in boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(
        Bucket=BUCKET, Prefix="db-shared/")["Contents"]]
    assert any(key.startswith("db-shared/documents.lance/") for key in keys)


def test_concurrent_writers_on_s3_lose_and_duplicate_nothing(s3_endpoint):
    uri = f"s3://{BUCKET}/db-concurrent"
    tables = [DocumentTable(open_database(uri, _options(s3_endpoint))) for _ in range(3)]
    tables[0].upsert([{"id": "seed", "text": "seed"}], np.asarray([_vector("seed")]))
    failures: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            for batch in range(3):
                docs = [{"id": f"w{w}-{batch}-{i}", "text": f"doc {w} {batch} {i}"} for i in range(5)]
                docs.append({"id": f"shared-{batch}", "text": f"written by {w}"})
                tables[w].upsert(docs, np.asarray([_vector(d["text"]) for d in docs]))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    ids = [doc["id"] for doc in DocumentTable(open_database(uri, _options(s3_endpoint))).page(1000, 0)[0]]
    assert len(ids) == len(set(ids)) == 1 + 3 * 3 * 5 + 3


def test_store_loads_its_corpus_from_s3_into_an_s3_database(s3_endpoint):
    import boto3

    corpus = "\n".join(json.dumps({"id": f"c{i}", "text": f"corpus line {i} on s3", "metadata": {"n": i}})
                       for i in range(5))
    boto3.client("s3", endpoint_url=s3_endpoint).put_object(Bucket=BUCKET, Key="corpus/docs.jsonl",
                                                           Body=corpus.encode())
    settings = {"corpus_uri": f"s3://{BUCKET}/corpus/docs.jsonl",
                "corpus_storage_options": {"endpoint_url": s3_endpoint},
                "storage": {"uri": f"s3://{BUCKET}/db-store", "storage_options": _options(s3_endpoint)}}

    async def scenario():
        store = DocumentStore.__new__(DocumentStore)
        await store.__init__(AnyScriptEmbedder(), settings)
        return await store.count(), await store.search("corpus line 3", k=1, mode="keyword", filter={"n": 3})

    count, hits = asyncio.run(scenario())
    assert count == 5 and [hit["id"] for hit in hits] == ["c3"]
    assert [d["id"] for d in read_jsonl(settings["corpus_uri"], {"endpoint_url": s3_endpoint})] == [
        f"c{i}" for i in range(5)]


def test_a_missing_bucket_fails_naming_the_setting(s3_endpoint):
    with pytest.raises(StorageError, match=r"documents\.storage\.uri='s3://no-such-bucket/db' cannot be opened"):
        open_database("s3://no-such-bucket/db", _options(s3_endpoint), setting="documents.storage.uri")
