"""The console's static files through the real FastAPI app (`build_fastapi_app`), no Ray: served at `/ui`,
open without the API key (they hold no secret) while the API stays closed, and self-contained (no
file from the network, every module a page imports is shipped)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from deployments.api.auth import API_KEY_ENV
from deployments.api.ingress import Services, build_fastapi_app
from deployments.api.settings import IngressSettings
from deployments.api.ui_routes import UI_DIR

KEY = "ui-test-key-0c41"


def _client() -> TestClient:
    services = Services(settings=IngressSettings(), llm=None, embedder=None)
    return TestClient(build_fastapi_app(services), raise_server_exceptions=False)


def test_ui_redirects_to_the_index_and_serves_it() -> None:
    client = _client()
    redirect = client.get("/ui", follow_redirects=False)
    assert redirect.status_code == 307 and redirect.headers["location"] == "ui/"
    page = client.get("/ui/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<title>Medici console</title>" in page.text


def test_modules_and_styles_are_served_with_their_types() -> None:
    client = _client()
    script = client.get("/ui/js/main.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/ui/style.css").headers["content-type"].startswith("text/css")
    assert client.get("/ui/vendor/uplot/uPlot.esm.js").status_code == 200


def test_an_unknown_ui_file_is_a_404_not_a_500() -> None:
    assert _client().get("/ui/nope.js").status_code == 404


def test_with_a_key_the_files_are_open_and_the_api_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, KEY)
    client = _client()
    assert client.get("/ui/").status_code == 200
    assert client.get("/ui/js/api.js").status_code == 200
    refused = client.get("/v1/models")
    assert refused.status_code == 401 and refused.json()["error"]["type"] == "authentication_error"
    # a path that only starts like the console is not opened by it
    assert client.get("/uix").status_code == 401


def test_the_page_needs_no_network_and_every_import_is_shipped() -> None:
    files = [p for p in UI_DIR.rglob("*") if p.suffix in {".html", ".js", ".css"} and "vendor" not in p.parts]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']https?://""", text), path
        for target in re.findall(r"""^import .*? from ["'](\.[^"']+)["'];""", text, flags=re.M):
            assert (path.parent / target).resolve().is_file(), f"{path.name} imports missing {target}"


def test_the_vendored_chart_library_keeps_its_licence() -> None:
    assert "MIT License" in (UI_DIR / "vendor" / "uplot" / "LICENSE").read_text(encoding="utf-8")


def test_a_dotted_path_under_ui_reaches_no_api_route(monkeypatch: pytest.MonkeyPatch) -> None:
    """The auth middleware opens /ui/...; a path that climbs out of it must still find only the static files."""
    import asyncio

    monkeypatch.setenv(API_KEY_ENV, KEY)
    app = build_fastapi_app(Services(settings=IngressSettings(), llm=None, embedder=None))
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    # a raw ASGI call: HTTP clients would normalise the dots away before sending
    scope = {"type": "http", "method": "GET", "path": "/ui/../v1/models", "raw_path": b"/ui/../v1/models",
             "root_path": "", "query_string": b"", "headers": [], "scheme": "http", "server": ("t", 80),
             "client": ("c", 1), "http_version": "1.1", "asgi": {"version": "3.0"}}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 404


def test_every_element_the_modules_look_up_is_in_the_page() -> None:
    """`$("id")` in a module reads an element of index.html: a renamed or missing one would fail only when a
    person clicks, so the ids are checked here."""
    page = (UI_DIR / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r"""\bid="([^"]+)\"""", page))
    modules = list((UI_DIR / "js").glob("*.js"))
    assert len(modules) >= 5
    for path in modules:
        wanted = set(re.findall(r"""\$\("([\w-]+)"\)""", path.read_text(encoding="utf-8")))
        assert wanted <= ids, f"{path.name} looks up {sorted(wanted - ids)}, not in index.html"
