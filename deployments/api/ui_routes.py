"""The web console: static files (HTML, CSS, plain JS modules) served by the ingress at `/ui`.

No build step and no separate server: the files ship in the package next to this module and are
served with Starlette's StaticFiles, so the console is wherever the API is (a Serve route prefix
included, since the page finds the API relative to its own URL). The files hold no secret, so the
auth middleware leaves `/ui` open (the page then asks for the key and sends it on every API call).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

UI_DIR = Path(__file__).with_name("ui")
UI_PATH = "/ui"


def install_ui(app: FastAPI) -> None:
    """Mount the console at `/ui/` and send `/ui` there.

    The redirect is relative (`ui/`) so it stays right under any route prefix Serve mounts the app at.
    """

    @app.get(UI_PATH, include_in_schema=False)
    async def ui_root() -> RedirectResponse:
        return RedirectResponse("ui/", status_code=307)

    app.mount(f"{UI_PATH}/", StaticFiles(directory=UI_DIR, html=True), name="ui")
