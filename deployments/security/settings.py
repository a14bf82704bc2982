"""`security` settings: where an HTTP caller's URIs may point, and whether the service may run open."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator

from deployments.security.places import OBJECT_SCHEMES, URL_SCHEMES, parse



class UriPolicy(BaseModel):
    """The places an HTTP caller's `corpus_uri` (read) and `output_uri` (write) may name.

    An entry is a local directory (absolute, or relative to the replica's working directory: the
    repository root, or the `working_dir` archive on a cluster; `file://` form accepted), an object-store
    prefix (`s3://bucket` or `s3://bucket/prefix`, gs, azure...), or for reading an https prefix
    (`https://host[:port]` or `https://host/path`; `http://` only when listed as such). A URI is allowed when
    it lies under an entry at a path-segment boundary: local paths after resolving symlinks and `..`.
    """

    model_config = ConfigDict(extra="forbid")

    read: list[str] = Field(
        default_factory=lambda: ["data"],
        description="Where an HTTP caller may read a corpus from (`corpus_uri`): local directories, bucket prefixes, "
        "https host or host/path prefixes. Default: the project's `data` folder (the shipped corpora), so the "
        "console works out of the box; [] refuses every URI. The command line is not limited.")
    write: list[str] = Field(
        default_factory=list,
        description="Where an HTTP caller may write results (`output_uri`): local directories or bucket prefixes. "
        "Default: nowhere.")
    private_networks: list[str] = Field(
        default_factory=list,
        description="Networks (CIDR, e.g. 10.1.2.0/24) an allowed https host may resolve to although they are "
        "loopback, private, link-local or otherwise not global. Default: none, so a listed host that resolves "
        "inside the cluster's network or to a cloud metadata address is refused.")
    resolve_timeout_s: float = Field(
        10.0, gt=0, description="How long the ingress waits for each hop of an https URI (name resolution and "
        "the redirect check) before it refuses the URI.")
    max_redirects: int = Field(5, ge=0, le=20, description="Redirects an https corpus may take; each target must "
                               "be allowed too.")

    @field_validator("read", "write")
    @classmethod
    def _places(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            scheme = urlparse(entry).scheme.lower()
            if not entry.strip():
                raise ValueError("an allowed place must not be blank")
            if len(scheme) > 1 and scheme not in ("file", *OBJECT_SCHEMES, *URL_SCHEMES):
                raise ValueError(f"'{entry}': an allowed place is a local directory, an object-store prefix "
                                 f"({', '.join(OBJECT_SCHEMES)}) or an https prefix")
            try:
                parse(entry)
            except ValueError as exc:
                raise ValueError(f"'{entry}' cannot be an allowed place ({exc})") from None
        return entries

    @field_validator("write")
    @classmethod
    def _writable(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if urlparse(entry).scheme.lower() in URL_SCHEMES:
                raise ValueError(f"'{entry}': results cannot be written over http(s)")
        return entries

    @field_validator("private_networks")
    @classmethod
    def _networks(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            ipaddress.ip_network(entry, strict=False)  # ValueError names the bad entry
        return entries


class SecuritySettings(BaseModel):
    """Who may call the service and what their requests may reach (`args.security` in serve_config.yaml)."""

    model_config = ConfigDict(extra="forbid")

    uris: UriPolicy = Field(default_factory=UriPolicy, description="The URI allow-lists for HTTP callers.")
    allow_open: bool = Field(
        False, description="Serve without an API key on a non-loopback address, on purpose. Without it (and without "
        "MEDICI_API_KEY / MEDICI_API_KEY_FILE) the ingress refuses to start there. A loopback bind (`make run`) "
        "is always allowed open and logs that it is.")
