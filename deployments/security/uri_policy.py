"""The URI allow-list check: an HTTP caller's `corpus_uri` or `output_uri` is refused unless it lies under a
place the operator listed (`security.uris.read` / `.write`), before any job is created or file touched.

Why each rule:
- Local paths (bare or `file://`) are resolved with `os.path.realpath` after `~` expansion, both as given
  and percent-decoded (pyarrow decodes `file://` URIs, a plain open does not), so `..`, a symlink or an
  encoded `%2e%2e` cannot leave a listed directory. A result location must lie strictly inside one (the
  summary file goes beside the assignments file), or be the directory itself when it ends in `/`.
- Object-store and https URIs match a listed prefix at a path-segment boundary, and may carry no `.`/`..`
  segment (clients normalise them away after the check) and no `user@` part (smart_open reads
  `s3://key:secret@host:port@bucket/key` as a custom endpoint: a way to reach any host).
- An https host is checked here only after its prefix matched, so a caller learns nothing about hosts the
  operator did not list; `network.py` then resolves it and walks its redirects.
- One message for every refusal of a place, naming the URI as given and the setting, never a resolved
  path and never whether something exists there.
- Results are never written into the service's own tree (the folder holding `deployments/`: its code, its
  language file, its shipped corpora), even where a listed place covers it ("/tmp" over a checkout in /tmp).
"""

from __future__ import annotations

import os
from urllib.parse import unquote

from deployments.security import network
from deployments.security.places import Place, parse, under
from deployments.security.refusal import refusal
from deployments.security.settings import UriPolicy
from deployments.topics.results_uri import output_names


SERVICE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


def setting_name(write: bool) -> str:
    return "security.uris.write" if write else "security.uris.read"


def check_place(uri: str, field: str, policy: UriPolicy, write: bool) -> Place:
    """The parsed URI when it lies under an allowed place; else the refusal (a `ServiceError` 400).

    No network and no file access beyond resolving symlinks: an https URI that passes still needs the
    network half of `allowed_uri`. A result location passes only when its summary's place does too.
    """
    setting = setting_name(write)
    entries = policy.write if write else policy.read
    denied = refusal(field, uri, f"an HTTP caller may {'write' if write else 'read'} only under the places "
                     "the operator lists", setting)
    try:
        place = parse(uri)
    except ValueError:
        raise denied from None
    if write and place.kind == "url":
        raise refusal(field, uri, "results cannot be written over http(s)", setting)
    if place.kind == "local":
        if not any(_inside_local(uri, entry, write) for entry in entries if parse(entry).kind == "local"):
            raise denied
        if write and _reaches_local(uri, SERVICE_ROOT):
            raise refusal(field, uri, "results are never written into the service's own files", setting)
        return place
    names = [uri, output_names(uri)[1]] if write else [uri]  # s3://b names its summary s3://b.summary.json
    if not all(any(under(parse(name), parse(entry)) for entry in entries) for name in names):
        raise denied
    return place


def _readings(uri: str) -> set[str]:
    """The local path of `uri` as given and percent-decoded (pyarrow decodes `file://` URIs, a plain open does not)."""
    raw = parse(uri).path
    return {raw, unquote(raw)}


def _reaches_local(uri: str, root: str) -> bool:
    """Some reading of `uri` resolves to `root` or inside it."""
    base = _resolve(root).rstrip(os.sep)
    return any(_resolve(path) == base or _resolve(path).startswith(base + os.sep) for path in _readings(uri))


def _inside_local(uri: str, entry: str, write: bool) -> bool:
    """Every reading of `uri` (as given and percent-decoded) resolves inside the directory `entry`."""
    root = _resolve(parse(entry).path)
    candidates = _readings(uri)
    if write:  # the summary goes beside the assignments: both must be inside
        candidates |= {output_names(path)[1] for path in list(candidates)}
    for path in candidates:
        resolved = _resolve(path)
        if resolved.startswith(root.rstrip(os.sep) + os.sep):
            continue
        if resolved == root and (not write or path.endswith("/")):
            continue
        return False
    return True


def _resolve(path: str) -> str:
    return os.path.realpath(os.path.expanduser(path))


async def allowed_uri(uri: str, field: str, policy: UriPolicy, write: bool = False) -> str:
    """The URI a job should use for what an HTTP caller named in `field`, or the 400 refusing it.

    Local and object-store URIs come back unchanged once they lie under a listed place. An https URI must
    also resolve to allowed addresses, and its redirects are walked, each target checked before it is
    contacted; the URL where they end comes back, so the job reads a URL that was checked.
    """
    place = check_place(uri, field, policy, write)
    if place.kind != "url":
        return uri

    async def check(url: str) -> None:
        hop = check_place(url, field, policy, write) if url != uri else place
        await network.check_host(hop, url, field, policy.private_networks, policy.resolve_timeout_s)

    transport = network.checked_transport(policy.private_networks, policy.resolve_timeout_s)
    return await network.final_url(uri, field, check, policy.max_redirects, policy.resolve_timeout_s, transport)
