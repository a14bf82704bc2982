"""A URI or allow-list entry parsed into the parts the allow-list compares (no file or network access)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlparse

# Schemes an allow-list entry may name besides a local directory ("" or file://).
OBJECT_SCHEMES = ("s3", "gs", "gcs", "azure", "hdfs", "webhdfs", "sftp", "ssh", "scp")
URL_SCHEMES = ("https", "http")
_ALIASES = {"gcs": "gs", "ssh": "sftp", "scp": "sftp"}  # one name per store, as smart_open and fsspec treat them


@dataclass(frozen=True)
class Place:
    """A parsed URI or allow-list entry: `kind` local, object or url; `netloc` the bucket or host."""

    kind: str
    scheme: str = ""
    netloc: str = ""  # bucket, or a URL's host (lower case, no port)
    path: str = ""
    port: int | None = None  # URLs only, the default port filled in


def parse(uri: str) -> Place:
    """A URI's kind and parts; ValueError for one no rule can judge (user info, bad port, dot segments)."""
    if "\x00" in uri or "\\" in uri:
        raise ValueError("NUL or backslash")
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if scheme in ("", "file") or len(scheme) == 1:  # one letter: a Windows drive, still a local path
        if scheme == "file" and parsed.netloc not in ("", "localhost"):
            raise ValueError("file URI with a host")
        return Place("local", path=parsed.path if scheme == "file" else uri)
    if "@" in parsed.netloc or not parsed.netloc:
        raise ValueError("user info or no host")
    if any(segment in (".", "..") for text in (parsed.path, unquote(parsed.path)) for segment in text.split("/")):
        raise ValueError("dot segment")
    if scheme in URL_SCHEMES:
        host = (parsed.hostname or "").rstrip(".")
        if not host:
            raise ValueError("no host")
        port = parsed.port or (443 if scheme == "https" else 80)  # ValueError for a bad port
        return Place("url", scheme, host, parsed.path, port)
    return Place("object", _ALIASES.get(scheme, scheme), parsed.netloc, parsed.path)


def under(place: Place, entry: Place) -> bool:
    """`place` lies under `entry`: same scheme and bucket/host (and port), path at a segment boundary."""
    if (place.kind, place.scheme, place.netloc.lower(), place.port) != (entry.kind, entry.scheme,
                                                                        entry.netloc.lower(), entry.port):
        return False
    if entry.kind == "object" and place.netloc != entry.netloc:  # bucket names are case-sensitive
        return False
    prefix = entry.path.rstrip("/")
    return not prefix or place.path == prefix or place.path.startswith(prefix + "/")
