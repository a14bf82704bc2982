"""Small hand-written fakes shared by the unit tests (no Ray, no model).

- `HandleMethod`: a Serve handle method, `.remote(*args)` answering an awaitable, cancellable response;
- `ScriptedLLM`, `FakeDocuments`: the agent's LLM client and document store;
- `FakeLLMClient`, `FakeEmbedder`: the topic pipeline's LLM client and embedder;
- `LoopbackJSONServer`: a JSON-over-HTTP server on loopback whose answers the test chooses (external endpoints).

One module instead of copies in each test file, so a change to what a handle answers is made once.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import numpy as np


class HandleMethod:
    """Stands for `handle.method` of a Serve DeploymentHandle.

    `behaviour` is a value, or a callable taking the `.remote` arguments and answering a value or an
    awaitable. Like a `DeploymentResponse`, what `.remote` answers is awaitable and has `cancel()`;
    `calls` records the arguments and `cancelled` counts cancellations.
    """

    def __init__(self, behaviour: Any) -> None:
        self.behaviour = behaviour
        self.calls: list[tuple] = []
        self.cancelled = 0

    def remote(self, *args: Any) -> "_Response":
        self.calls.append(args)
        return _Response(self, args)


class _Response:
    def __init__(self, method: HandleMethod, args: tuple) -> None:
        self.method = method
        self.args = args

    async def _result(self) -> Any:
        behaviour = self.method.behaviour
        result = behaviour(*self.args) if callable(behaviour) else behaviour
        return await result if inspect.isawaitable(result) else result

    def __await__(self):
        return self._result().__await__()

    def cancel(self) -> None:
        self.method.cancelled += 1


class ScriptedLLM:
    """An LLMClient that answers each completion with ``respond(request)`` and records the requests."""

    def __init__(self, respond: Callable[[dict[str, Any]], str]) -> None:
        self.respond = respond
        self.requests: list[dict[str, Any]] = []

    async def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        text = self.respond(request)
        if request.get("guided_choice"):
            assert text in request["guided_choice"], f"{text!r} is not one of the allowed choices"
        return {"choices": [{"text": text}], "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}}

    async def chat(self, request: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("the agent uses completions only")


class FakeDocuments:
    def __init__(self, docs: dict[str, str]) -> None:
        self.docs = docs

    async def search(self, query: str, k: int, mode: str) -> list[dict[str, Any]]:
        words = set(query.lower().split())
        hits = [(len(words & set(text.lower().replace(".", "").split())), doc_id, text)
                for doc_id, text in self.docs.items()]
        hits = sorted((h for h in hits if h[0] > 0), reverse=True)[:k]
        return [{"id": doc_id, "text": text, "score": float(score)} for score, doc_id, text in hits]

    async def get(self, doc_id: str) -> dict[str, Any] | None:
        return {"id": doc_id, "text": self.docs[doc_id], "metadata": {}} if doc_id in self.docs else None


class FakeLLMClient:
    """Answers each completion with the canned text of the first keyword found in the prompt's
    last document; records every request so tests can check what was sent."""

    def __init__(self, answers: dict[str, str], default: str = " Miscellany") -> None:
        self.answers = answers
        self.default = default
        self.requests: list[dict] = []

    async def complete(self, request: dict) -> dict:
        self.requests.append(request)
        document = request["prompt"].rsplit("Document:", 1)[-1]
        text = next((answer for key, answer in self.answers.items() if key in document), self.default)
        return {"choices": [{"text": text, "index": 0, "finish_reason": "stop"}]}

    async def chat(self, request: dict) -> dict:
        raise NotImplementedError


class FakeEmbedder:
    """Unit vectors: fixed ones for known texts, else a hashed bag of lower-cased words, so texts
    sharing words are similar and unrelated ones nearly orthogonal."""

    def __init__(self, fixed: dict[str, list[float]] | None = None, dim: int = 64) -> None:
        self.fixed = fixed or {}
        self.dim = dim
        self.calls = 0

    def vector(self, text: str) -> np.ndarray:
        if text in self.fixed:
            v = np.asarray(self.fixed[text], dtype=np.float64)
        else:
            v = np.zeros(self.dim)
            for word in text.lower().replace("-", " ").split():
                v[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        return v / np.linalg.norm(v)

    async def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return [self.vector(t).tolist() for t in texts]


Respond = Callable[[str, dict, dict], "tuple[int, dict]"]


class LoopbackJSONServer:
    """A JSON-over-HTTP server on loopback, in a thread: every POST's path, headers and JSON body go to
    ``respond``, whose (status, payload) is the answer. Hand-written on `http.server` so the external
    endpoint client's unit tests run without a network or a real inference server."""

    def __init__(self, respond: Respond, port: int = 0) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, payload = respond(self.path, dict(self.headers), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
