"""Cluster names generalized by the LLM: one short category name per document cluster.

Why: a small model names each document narrowly ("Personal finance manager", "Budget tracker"), and
a cluster named by one of its members' labels (`clusters.name_clusters`) keeps that grain, while
an analyst (and the human topics of a labelled corpus) thinks in broad categories ("Finance"). Shown
all the labels its members were given, the same model can name what they have in common: the
"generalize" step of TopicGPT, and BERTopic's LLM representation of a topic from its keywords.

Method: per cluster, its members' labels, most frequent first and at most `max_labels`, go into a
few-shot completion prompt whose instruction and examples come from the domain
(`Domain.generalize_instruction`, `Domain.generalize_examples`; a neutral default, so no field is
built in). Greedy decoding, a few tokens, stopped at the end of the line, like the labeller; the
answer is cleaned by the labeller's `clean_label`. An answer that is empty, or that another (larger)
cluster already took, leaves the cluster its label name, so two clusters never merge by name.

Names are cached in the label store under a key of the rendered prompt (it holds the labels, in
order), the decoding and the model with its fingerprint, so a rerun over the same clusters costs no
LLM call. Hand-written: the prompt is a few lines, and neither BERTopic's representation models nor
TopicGPT run on the pipeline's `LLMClient`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter

from deployments.llm.client import LLMClient, completion_text
from deployments.topics.domain import Domain
from deployments.topics.label_cache import Fingerprint, LabelStore, label_key
from deployments.topics.labeling import clean_label

logger = logging.getLogger("ray.serve")


def generalize_prompt(domain: Domain, labels: list[str]) -> str:
    """The few-shot prompt that asks for one category name covering `labels`: the domain's
    instruction, its examples, then the cluster's labels and an open "Category:" line."""
    shots = "".join(f"Labels: {'; '.join(ex.labels)}\nCategory: {ex.name}\n\n" for ex in domain.generalize_examples)
    return f"{domain.generalize_instruction}\n\n{shots}Labels: {'; '.join(labels)}\nCategory:"


def cluster_labels(member_labels: list[list[str]], max_labels: int) -> list[str]:
    """The distinct labels of a cluster's members (case-insensitively), most frequent first (ties in
    first-seen order), at most `max_labels`: what the prompt shows."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for labels in member_labels:
        for label in dict.fromkeys(lbl.lower() for lbl in labels):
            counts[label] += 1
        for label in labels:
            shown.setdefault(label.lower(), label)
    return [shown[key] for key, _ in counts.most_common(max_labels)]


class ClusterNamer:
    """Asks the LLM for one category name per group of labels, through an `LLMClient`, with a cache.

    `store` is a label store (`label_cache.LabelStore`): a name is kept as a one-item list under its
    key. `fingerprint` is the LLM's settings digest (`label_cache.LLMFingerprint`), as for labels."""

    def __init__(self, client: LLMClient, domain: Domain | None = None, *, max_labels: int = 8,
                 max_tokens: int = 8, store: LabelStore | None = None, fingerprint: Fingerprint | None = None,
                 model: str = "", concurrency: int = 16) -> None:
        self.client = client
        self.domain = domain or Domain()
        self.max_labels = max_labels
        self.max_tokens = max_tokens
        self.store = store
        self.fingerprint = fingerprint
        self.model = model  # part of the key, beside the fingerprint of the in-cluster LLM's settings
        self.concurrency = concurrency  # naming requests in flight at once, as for labelling
        self.llm_calls = 0

    def request(self, labels: list[str]) -> dict:
        return {"prompt": generalize_prompt(self.domain, labels), "max_tokens": self.max_tokens,
                "temperature": 0.0, "stop": ["\n"]}

    def _key(self, request: dict, fingerprint: str) -> str:
        """Keyed like a document's labels (`label_key`): the rendered prompt stands for the text, and
        "cluster-name" with the token budget for the labelling prompt, so names and labels never collide."""
        return label_key(request["prompt"], f"cluster-name\x1f{request['max_tokens']}", self.model, fingerprint)

    async def _ask(self, request: dict, slots: asyncio.Semaphore) -> str:
        try:
            async with slots:
                response = await self.client.complete(request)
        except Exception:  # noqa: BLE001 - a cluster without a general name keeps its label name
            logger.warning("naming a topic cluster failed", exc_info=True)
            return ""
        # a small model may go on listing in the examples' "; " format: the first item is the name
        return clean_label(re.split(r"[;\n]", completion_text(response))[0])

    async def name(self, groups: list[list[str]]) -> list[str]:
        """One name per group of labels ('' where the LLM gave nothing usable or failed; an empty group
        is not asked). Only usable names are cached, so a failed one is asked again next time."""
        requests = [self.request(labels) for labels in groups]
        names = [""] * len(groups)
        keys: list[str] = []
        found: dict[str, list[str]] = {}
        if self.store is not None:
            fingerprint = await self.fingerprint() if self.fingerprint else ""
            keys = [self._key(r, fingerprint) for r in requests]
            found = await self.store.get_many(list(dict.fromkeys(keys)))
        missing = []
        for i, labels in enumerate(groups):
            if keys and found.get(keys[i]):
                names[i] = found[keys[i]][0]
            elif labels:
                missing.append(i)
        self.llm_calls += len(missing)
        slots = asyncio.Semaphore(self.concurrency)
        answers = await asyncio.gather(*(self._ask(requests[i], slots) for i in missing))
        for i, answer in zip(missing, answers):
            names[i] = answer
        if self.store is not None:
            await self.store.put_many({keys[i]: [names[i]] for i in missing if names[i]})
        return names


async def generalize_result(result: dict, namer: ClusterNamer) -> dict:
    """`result` (as `assemble` answers it) with each primary topic renamed to the general name of its
    cluster (not those a taxonomy named), when the LLM gives a name that no other topic has and no larger
    cluster took; every place a topic's label appears (topics, documents, trends) follows. Each topic
    keeps the name it had as `label_name`."""
    members: dict[str, list[int]] = {}
    for d, doc in enumerate(result["documents"]):
        if doc["primary_topic"] is not None:
            members.setdefault(doc["primary_topic"], []).append(d)
    # largest first; a topic named by the caller's taxonomy keeps that name
    # the "Other" group of small topics is no cluster to name
    primaries = [t["label"] for t in result["topics"]
                 if t["label"] in members and not t.get("taxonomy") and not t.get("other")]
    groups = [cluster_labels([result["documents"][d]["labels"] for d in members[t]], namer.max_labels)
              for t in primaries]
    answers = await namer.name(groups)
    # every topic's present name is reserved (a cluster that gets no new name keeps it), so no two
    # topics end up with one name
    taken = {t["label"].lower() for t in result["topics"]}
    rename: dict[str, str] = {}
    for old, new in zip(primaries, answers):
        if new and new.lower() not in taken:
            taken.add(new.lower())
            rename[old] = new
    return rename_topics(result, rename)


def rename_topics(result: dict, rename: dict[str, str]) -> dict:
    """A copy of `result` with topic labels renamed (`rename`: old -> new, names unique)."""
    new = lambda label: rename.get(label, label)  # noqa: E731 - one-line mapping used throughout
    out = dict(result)
    out["topics"] = [{**t, "label": new(t["label"]), "label_name": t["label"]} for t in result["topics"]]
    out["documents"] = [{**d, "topics": [new(t) for t in d["topics"]],
                         "primary_topic": new(d["primary_topic"]) if d["primary_topic"] is not None else None}
                        for d in result["documents"]]
    trends = dict(result["trends"])
    trends["topics"] = [{**t, "label": new(t["label"])} for t in trends["topics"]]
    trends["rising"] = [new(t) for t in trends["rising"]]
    trends["fading"] = [new(t) for t in trends["fading"]]
    out["trends"] = trends
    return out
