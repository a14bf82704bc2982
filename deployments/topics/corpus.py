"""Reading a labelled or unlabelled JSONL corpus from any URI smart_open reads (local, https, s3, gs, .gz).

Shared by the jobs (on the replica) and the batch command, so both accept exactly the same files.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from deployments.topics.protocol import LabelledDocument, TopicDocument


class CorpusError(ValueError):
    """A corpus line that is not a valid document, or duplicate ids; the message names the line."""


def read_documents(uri: str, limit: int | None = None) -> list[dict]:
    """Validated documents (`id`, `text`, `timestamp`?, `human_topics`?) from a JSONL URI."""
    from smart_open import open as smart_open

    documents: list[dict] = []
    with smart_open(uri, "r", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                model = LabelledDocument if isinstance(raw, dict) and raw.get("human_topics") else TopicDocument
                doc = model.model_validate(raw).model_dump(mode="json")
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{uri}:{number}: not JSON ({exc.msg})") from None
            except ValidationError as exc:
                raise CorpusError(f"{uri}:{number}: {exc.errors()[0]['msg']}") from None
            documents.append(doc)
            if limit is not None and len(documents) >= limit:
                break
    ids = [d["id"] for d in documents]
    if len(set(ids)) != len(ids):
        raise CorpusError(f"{uri}: document ids must be unique")
    return documents
