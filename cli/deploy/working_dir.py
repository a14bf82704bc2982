"""Rules for `runtime_env.working_dir`: a zip archive pinned to one commit, with no secret inside.

A branch or tag URL deploys whatever the branch holds when a node next downloads it, so two
replicas can run different code; a token inside the URL is printed in Ray's logs and dashboards.
"""

from __future__ import annotations

import re
from ipaddress import ip_address
from urllib.parse import parse_qsl, urlsplit

from cli.deploy.report import Report

FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_SHORT_SHA = re.compile(r"^[0-9a-f]{7,39}$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SECRET_QUERY = re.compile(r"token|secret|password|passwd|auth|key|sig", re.IGNORECASE)
CHECK = "working_dir"
PIN_HINT = "medici deploy pin --repo ORG/REPO --commit \"$(git rev-parse HEAD)\""
AUTH_HINT = (
    "Ray sends `Authorization: Bearer $RAY_RUNTIME_ENV_BEARER_TOKEN` when that variable is set on\n"
    "every node (KubeRay: an env var from a Secret in the head and worker containers), or the\n"
    "credentials of a netrc file (`machine github.com login USER password TOKEN` in ~/.netrc, or\n"
    "the file named by NETRC)."
)
CREDENTIALS_FIX = "remove the credentials from the URL and rotate that token: it is already in logs.\n" + AUTH_HINT


def archive_url(repo: str, commit: str, base_url: str = "https://github.com") -> str:
    """The GitHub archive URL of ``commit``; refuses anything but a full 40-hex SHA."""
    if not _REPO.match(repo):
        raise ValueError(f"--repo must be ORG/REPO, got {repo!r}")
    if not FULL_SHA.match(commit.lower()):
        raise ValueError(
            f"--commit must be a full 40-hex commit SHA, got {commit!r}: branches and tags move, "
            "and short SHAs can become ambiguous. Use: --commit \"$(git rev-parse HEAD)\""
        )
    return f"{base_url.rstrip('/')}/{repo}/archive/{commit.lower()}.zip"


def has_credentials(url: str) -> bool:
    parts = urlsplit(url)
    secret_query = any(_SECRET_QUERY.search(k) for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return bool(parts.username or parts.password or secret_query)


def redact(url: str) -> str:
    """``url`` with user, password and query removed, safe to print."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return parts._replace(netloc=host, query="").geturl()


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host or "").is_loopback
    except ValueError:
        return False


def check(url: str | None, report: Report, app: str) -> bool:
    """Add findings about ``url``; True when it is worth downloading (a remote zip, no secret)."""
    if not url:
        report.warn(CHECK, f"application {app!r} has no runtime_env.working_dir: the code must already be in "
                    "the image, unpinned", f"set it with: {PIN_HINT}")
        return False
    parts = urlsplit(url)
    if has_credentials(url):
        report.fail(CHECK, f"application {app!r}: working_dir {redact(url)} carries credentials", CREDENTIALS_FIX)
        return False
    if parts.scheme not in ("https", "http", "s3", "gs"):
        report.fail(CHECK, f"application {app!r}: working_dir {url!r} is not a remote archive URL",
                    f"point it at a commit archive: {PIN_HINT}")
        return False
    if not parts.path.endswith(".zip"):
        report.fail(CHECK, f"application {app!r}: working_dir {url} does not end in .zip; Ray unpacks only .zip "
                    "archives from remote URLs", f"use the commit archive: {PIN_HINT}")
        return False
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        report.warn(CHECK, f"application {app!r}: working_dir {url} is plain http: the code (and any token Ray "
                    "sends) crosses the network unencrypted", "use https")
    segments = [s for s in parts.path.split("/") if s]
    names = [s.removesuffix(".zip") for s in segments]
    if any(FULL_SHA.match(n) for n in names) or any(FULL_SHA.match(n[-40:]) and n[-41:-40] == "-" for n in names):
        report.passed(CHECK, f"application {app!r}: working_dir is pinned to commit {_sha_in(names)}")
        return True
    report.fail(CHECK, _unpinned_message(app, url, names), f"pin it to a full commit SHA: {PIN_HINT}")
    return True  # still download it: the other checks are worth their findings


def _sha_in(names: list[str]) -> str:
    return next(n[-40:] for n in names if FULL_SHA.match(n[-40:]))


def _unpinned_message(app: str, url: str, names: list[str]) -> str:
    last = names[-1] if names else ""
    if "refs" in names and len(names) >= 2:
        kind = {"heads": "branch", "tags": "tag"}.get(names[names.index("refs") + 1], "ref")
        return f"application {app!r}: working_dir {url} names the {kind} {last!r}, which moves"
    if _SHORT_SHA.match(last):
        return (f"application {app!r}: working_dir {url} uses the short SHA {last!r}; GitHub resolves it only "
                "while it stays unambiguous")
    return f"application {app!r}: working_dir {url} names {last!r}, a branch or tag that moves, not a commit"
