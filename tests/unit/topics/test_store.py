"""The topic tables in a real local LanceDB: the label cache and the jobs survive a reopened database."""

import asyncio

from deployments.storage.database import open_database
from deployments.topics.label_cache import CachedLabeler
from deployments.topics.labeling import PromptLabeler
from deployments.topics.store import LanceJobStore, LanceLabelStore
from tests.unit.topic_fakes import FakeLLMClient


def test_labels_written_by_one_replica_are_hits_for_another(tmp_path):
    client = FakeLLMClient({"alpha": " Alpha", "o'clock": " Time"})
    texts = ["alpha one", "beta two", "five o'clock"]
    first = CachedLabeler(PromptLabeler(client), LanceLabelStore(open_database(str(tmp_path))))
    labels = asyncio.run(first.label(texts))
    again = CachedLabeler(PromptLabeler(client), LanceLabelStore(open_database(str(tmp_path))))
    assert asyncio.run(again.label(texts + ["alpha four"])) == labels + [["Alpha"]]
    assert (again.llm_calls, again.cache_hits, len(client.requests)) == (1, 3, 4)
    store = LanceLabelStore(open_database(str(tmp_path)))
    assert asyncio.run(store.get_many([])) == {}


def test_jobs_are_upserted_listed_newest_first_and_reopened(tmp_path):
    jobs = LanceJobStore(open_database(str(tmp_path)))
    asyncio.run(jobs.put({"id": "a", "created": 1.0, "state": "queued"}))
    asyncio.run(jobs.put({"id": "b", "created": 2.0, "state": "queued"}))
    asyncio.run(jobs.put({"id": "a", "created": 1.0, "state": "done"}))
    reopened = LanceJobStore(open_database(str(tmp_path)))
    assert [j["id"] for j in asyncio.run(reopened.list())] == ["b", "a"]
    assert asyncio.run(reopened.get("a"))["state"] == "done" and asyncio.run(reopened.get("zz")) is None
