"""Test helpers for the deploy tests: zips of this repository and a loopback HTTP server for them.

The server is a real `http.server` on 127.0.0.1 in a thread, so the preflight's download (and a
Ray cluster's, in the single-node test) goes through real HTTP: status codes, headers, bodies.
"""

from __future__ import annotations

import base64
import io
import subprocess
import threading
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
FAKE_SHA = "0123456789abcdef0123456789abcdef01234567"


def repo_commit() -> str:
    """A commit holding the working tree's tracked files (`git stash create`), else HEAD."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()

    return git("stash", "create") or git("rev-parse", "HEAD")


def repo_zip(prefix: str = f"medici-{FAKE_SHA}/") -> bytes:
    """This repository's tracked files as GitHub serves them: one top-level folder ``prefix``."""
    return subprocess.run(["git", "archive", "--format=zip", f"--prefix={prefix}", repo_commit()],
                          cwd=REPO_ROOT, capture_output=True, check=True, timeout=120).stdout


def rezip(data: bytes, rename) -> bytes:
    """A copy of zip ``data`` with every entry name mapped through ``rename`` (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            name = rename(info.filename)
            if name:
                dst.writestr(name, src.read(info.filename))
    return out.getvalue()


def make_zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return out.getvalue()


@dataclass
class Route:
    body: bytes
    content_type: str = "application/zip"
    bearer: str | None = None  # when set, the request must carry `Authorization: Bearer <bearer>`
    basic: tuple[str, str] | None = None  # when set, it must carry these basic-auth credentials


@dataclass
class ArchiveServer:
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[dict] = field(default_factory=list)  # (path, headers) of every request, for assertions
    base_url: str = ""

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _handler(server: ArchiveServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server.seen.append({"path": self.path, "headers": dict(self.headers)})
            route = server.routes.get(self.path)
            if route is None or not self._authorized(route):
                # GitHub answers 404, not 401, for a private repository without credentials
                self._send(404, b"Not Found", "text/plain")
                return
            self._send(200, route.body, route.content_type)

        def _authorized(self, route: Route) -> bool:
            auth = self.headers.get("Authorization", "")
            if route.bearer is not None:
                return auth == f"Bearer {route.bearer}"
            if route.basic is not None:
                return auth == "Basic " + base64.b64encode(":".join(route.basic).encode()).decode()
            return True

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # keep test output clean
            pass

    return Handler


@contextmanager
def serve_archives(routes: dict[str, Route] | None = None) -> Iterator[ArchiveServer]:
    state = ArchiveServer(routes=dict(routes or {}))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def production_config() -> dict:
    return yaml.safe_load((REPO_ROOT / "serve_config.yaml").read_text())


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def with_working_dir(config: dict, url: str, **app_changes) -> dict:
    """``config`` with every application's working_dir set to ``url`` (and other app keys changed)."""
    for app in config["applications"]:
        app.setdefault("runtime_env", {})["working_dir"] = url
        app.update(app_changes)
    return config
