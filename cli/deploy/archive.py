"""Fetch the working_dir archive as a Ray node would, and unpack it the way Ray does.

The download goes through `smart_open` with the headers Ray sends (`Authorization: Bearer` from
RAY_RUNTIME_ENV_BEARER_TOKEN); `requests` underneath adds netrc credentials by itself, as it does
on the cluster. Unpacking uses Ray's own `unzip_package`, which strips a single top-level folder,
so the import check below sees exactly the tree a replica's working directory will hold.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from cli.deploy.report import Report
from cli.deploy.working_dir import AUTH_HINT, redact

CHECK = "archive"
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
BEARER_ENV = "RAY_RUNTIME_ENV_BEARER_TOKEN"  # the variable Ray's runtime_env download reads


def request_headers() -> dict[str, str]:
    headers = {"User-Agent": "medici-preflight", "Accept": "*/*"}
    token = os.environ.get(BEARER_ENV)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def credential_source(url: str) -> str:
    """Which credentials the download sends, for the report (never the credentials themselves)."""
    from requests.utils import get_netrc_auth

    if get_netrc_auth(url):
        return "netrc credentials"  # requests lets netrc win over an Authorization header
    return f"the bearer token from ${BEARER_ENV}" if os.environ.get(BEARER_ENV) else "no credentials"


def download(url: str, dest: Path, report: Report, timeout_s: float = 60.0) -> Path | None:
    """Save the archive under ``dest``; None (with a finding that says why) when it cannot."""
    import requests
    from smart_open import open as smart_open

    target = dest / "working_dir.zip"
    params = {"headers": request_headers(), "timeout": timeout_s} if url.startswith("http") else {}
    try:
        with smart_open(url, "rb", transport_params=params) as src, open(target, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    except requests.HTTPError as exc:
        _http_failure(url, exc.response.status_code if exc.response is not None else 0, report)
        return None
    except Exception as exc:  # noqa: BLE001 - network, DNS, a missing s3/gs extra: all are findings
        report.fail(CHECK, f"could not download {redact(url)}: {exc}",
                    "check the host is reachable from the Ray nodes (and from here), and the URL; s3:// and gs:// "
                    "need smart_open's extras (pip install 'smart_open[s3,gcs]')")
        return None
    report.passed(CHECK, f"downloaded {redact(url)} ({target.stat().st_size} bytes) with {credential_source(url)}")
    return target


def from_git(url: str, repo: Path, dest: Path, report: Report) -> Path | None:
    """The archive GitHub would serve for ``url``'s commit, built offline from the local repository.

    `git archive` of the commit named in the URL, with the top folder GitHub gives it (`REPO-SHA/`,
    REPO being the URL's repository name), so unpacking and importing it checks the pinned commit's
    code, not the working tree. The commit must be in ``repo``'s history (a full clone has it).
    """
    parts = [s for s in urlsplit(url).path.split("/") if s]
    sha = next((p.removesuffix(".zip") for p in reversed(parts) if _FULL_SHA.match(p.removesuffix(".zip"))), None)
    if sha is None:
        report.fail(CHECK, f"--from-git needs a working_dir pinned to a full commit SHA, got {redact(url)}",
                    "pin it first: medici deploy pin --repo ORG/REPO --commit \"$(git rev-parse HEAD)\"")
        return None
    name = parts[parts.index("archive") - 1] if "archive" in parts[1:] else repo.resolve().name
    target = dest / "working_dir.zip"
    proc = subprocess.run(["git", "-C", str(repo), "archive", "--format=zip", f"--prefix={name}-{sha}/",
                           "-o", str(target), sha], capture_output=True, text=True)
    if proc.returncode != 0:
        report.fail(CHECK, f"commit {sha} is not in the repository at {repo}: {proc.stderr.strip()[:300]}",
                    "fetch it (`git fetch origin`; CI needs a full clone), or pin a commit of this history: "
                    "medici deploy pin --repo ORG/REPO --commit \"$(git rev-parse HEAD)\"")
        return None
    report.passed(CHECK, f"built the archive of commit {sha} from {repo} with `git archive` ({target.stat().st_size} "
                  f"bytes, top folder {name}-{sha}/)")
    return target


def _http_failure(url: str, status: int, report: Report) -> None:
    sent = credential_source(url)
    if status in (401, 403) or (status == 404 and sent == "no credentials"):
        why = "the server refused it" if status in (401, 403) else (
            "GitHub answers 404, not 401, for a private repository without credentials")
        report.fail(CHECK, f"{redact(url)} answered HTTP {status} with {sent}: {why}, or the commit is not pushed",
                    f"push the commit; for a private repository give every Ray node read access:\n{AUTH_HINT}")
    else:
        report.fail(CHECK, f"{redact(url)} answered HTTP {status} with {sent}",
                    "check the repository name and that the commit is pushed (`git push`, then "
                    "`git branch -r --contains SHA`)")


def unpack(archive: Path, dest: Path, report: Report) -> Path | None:
    """Unzip like Ray; the folder a replica would run in, or None when the archive is unusable."""
    from ray._private.runtime_env.packaging import get_top_level_dir_from_compressed_package, unzip_package

    if not zipfile.is_zipfile(archive):
        head = archive.read_bytes()[:200].lstrip().lower()
        what = "an HTML page" if head.startswith((b"<!doctype html", b"<html")) else "not a zip archive"
        report.fail(CHECK, f"the download is {what} (starts with {archive.read_bytes()[:40]!r})",
                    "a login or error page was served instead of the archive: check the URL and the credentials; "
                    "the URL must be the archive itself (…/archive/SHA.zip)")
        return None
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        broken = zf.testzip()
    if broken:
        report.fail(CHECK, f"the zip is corrupt at {broken}", "download it again; check the server is not truncating")
        return None
    top = get_top_level_dir_from_compressed_package(str(archive))
    if top is None:
        roots = sorted({n.split("/", 1)[0] for n in names})[:5]
        report.fail(CHECK, f"the zip has no single top-level folder (it starts with {roots}); Ray then keeps every "
                    "path as is, unlike a GitHub archive", "build archives like GitHub does: "
                    "git archive --format=zip --prefix=REPO-SHA/ SHA > REPO-SHA.zip")
        return None
    root = dest / "working_dir"
    quiet = logging.getLogger("cli.deploy.archive.unzip")
    quiet.setLevel(logging.WARNING)
    unzip_package(str(archive), str(root), remove_top_level_directory=True, unlink_zip=False, logger=quiet)
    report.passed(CHECK, f"a zip with one top-level folder {top!r} ({len(names)} entries)")
    return root
