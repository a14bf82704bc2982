"""The allow-list check on real files and symlinks in a temporary directory; no network."""

from __future__ import annotations

import os

import pytest

from deployments.errors import ServiceError
from deployments.security.places import parse
from deployments.security.settings import SecuritySettings, UriPolicy
from deployments.security.uri_policy import check_place


@pytest.fixture
def tree(tmp_path):
    """allowed/ (a corpus, a link out, a link in), outside/ (a secret), out/ (writable)."""
    allowed, outside, out = tmp_path / "allowed", tmp_path / "outside", tmp_path / "out"
    for folder in (allowed, outside, out):
        folder.mkdir()
    (allowed / "corpus.jsonl").write_text('{"id": "a", "text": "t"}\n')
    (outside / "secret.jsonl").write_text('{"id": "s", "text": "secret"}\n')
    os.symlink(outside / "secret.jsonl", allowed / "link_out.jsonl")
    os.symlink(outside, allowed / "dir_out")
    os.symlink(allowed / "corpus.jsonl", allowed / "link_in.jsonl")
    os.symlink(outside / "secret.jsonl", out / "run.summary.json")  # a planted link where a summary would go
    return tmp_path


def policy(tree, **more) -> UriPolicy:
    return UriPolicy(read=[str(tree / "allowed"), "s3://corpora/in", "https://data.example.com/pub"],
                     write=[str(tree / "out"), "s3://results"], **more)


def refused(uri: str, tree, write: bool = False) -> str:
    field = "output_uri" if write else "corpus_uri"
    with pytest.raises(ServiceError) as caught:
        check_place(uri, field, policy(tree), write)
    error = caught.value
    assert (error.status, error.code, error.param) == (400, "uri_not_allowed", field)
    assert ("security.uris.write" if write else "security.uris.read") in error.message
    return error.message


@pytest.mark.parametrize("uri", ["{t}/allowed/corpus.jsonl", "file://{t}/allowed/corpus.jsonl", "{t}/allowed/",
                                 "{t}/allowed/link_in.jsonl", "{t}/allowed/../allowed/corpus.jsonl",
                                 "s3://corpora/in/x.jsonl", "s3://corpora/in", "https://data.example.com/pub/a.jsonl",
                                 "https://DATA.example.com:443/pub/a.jsonl?sig=1",
                                 "s3://corpora/in/deep/er/x.jsonl.gz"])
def test_uris_under_a_listed_place_pass(tree, uri):
    check_place(uri.format(t=tree), "corpus_uri", policy(tree), False)


@pytest.mark.parametrize("uri", ["/etc/passwd", "file:///etc/passwd", "file:///", "/", "{t}/outside/secret.jsonl",
                                 "{t}/allowed/../outside/secret.jsonl", "{t}/allowed/%2e%2e/outside/secret.jsonl",
                                 "file://{t}/allowed/%2e%2e/outside/secret.jsonl", "{t}/allowed/link_out.jsonl",
                                 "{t}/allowed/dir_out/secret.jsonl", "{t}/allowedx/corpus.jsonl",
                                 "file://otherhost/{t}/allowed/corpus.jsonl", "~/.ssh/id_rsa", "relative/../x",
                                 "{t}/allowed/corpus.jsonl\x00", "s3://corpora/input/x", "s3://corpora/in/../secret",
                                 "s3://corpora/in/%2e%2e/secret", "s3://key:secret@127.0.0.1:9000@corpora/in/x",
                                 "s3://Corpora/in/x", "gs://corpora/in/x", "https://data.example.com/public/x",
                                 "https://data.example.com.evil.org/pub/x", "https://data.example.com@evil.org/pub/x",
                                 "https://data.example.com:8443/pub/x", "http://data.example.com/pub/x",
                                 "http://127.0.0.1:8000/v1/documents", "http://169.254.169.254/latest/meta-data/",
                                 "https://data.example.com/pub/../admin", "https://data.example.com:bad/pub/x",
                                 "ftp://data.example.com/pub/x", "hdfs://namenode/x", "data:text/plain,hi"])
def test_uris_outside_every_listed_place_are_refused(tree, uri):
    refused(uri.format(t=tree), tree)


def test_the_message_is_the_same_for_a_file_that_exists_and_one_that_does_not(tree):
    there = refused(f"{tree}/outside/secret.jsonl", tree)
    missing = refused(f"{tree}/outside/missing.jsonl", tree)
    assert there.replace("secret", "X") == missing.replace("missing", "X")
    assert str(tree / "outside") + "/secret.jsonl" in there  # the URI as given, nothing resolved
    link = refused(f"{tree}/allowed/link_out.jsonl", tree)
    assert "outside" not in link  # where the link leads is not told


@pytest.mark.parametrize("uri", ["{t}/out/other.jsonl", "{t}/out/", "{t}/out/sub/run.jsonl.gz", "s3://results/a/b.jsonl"])
def test_results_may_go_under_a_writable_place(tree, uri):
    check_place(uri.format(t=tree), "output_uri", policy(tree), True)


@pytest.mark.parametrize("uri", ["{t}/out", "{t}/out/run", "{t}/out/run.jsonl", "{t}/allowed/run.jsonl", "/tmp/run.jsonl",
                                 "{t}/out/../outside/x.jsonl", "https://data.example.com/pub/x", "s3://corpora/in/x",
                                 "s3://results"])
def test_results_outside_a_writable_place_are_refused(tree, uri):
    # {t}/out: the directory itself without a slash would put its summary beside it; {t}/out/run(.jsonl):
    # its summary name is a planted link out
    refused(uri.format(t=tree), tree, write=True)


def test_relative_places_resolve_from_the_working_directory(tree, monkeypatch):
    monkeypatch.chdir(tree)
    relative = UriPolicy(read=["allowed"])
    check_place("allowed/corpus.jsonl", "corpus_uri", relative, False)
    with pytest.raises(ServiceError):
        check_place("outside/secret.jsonl", "corpus_uri", relative, False)


def test_defaults_read_the_data_folder_write_nowhere_and_are_not_open():
    settings = SecuritySettings()
    assert settings.uris.read == ["data"] and settings.uris.write == [] and settings.uris.private_networks == []
    assert settings.allow_open is False


@pytest.mark.parametrize("bad", [{"read": ["ftp://x/"]}, {"read": [" "]}, {"write": ["https://x/"]},
                                 {"private_networks": ["10.0.0.0/33"]}, {"read": ["s3://k:s@bucket/x"]},
                                 {"extra": 1}])
def test_bad_settings_are_refused_when_the_app_is_built(bad):
    with pytest.raises(ValueError):
        UriPolicy(**bad)


def test_entries_and_uris_parse_to_comparable_parts():
    assert parse("gcs://b/k").scheme == "gs" and parse("s3://b/k").netloc == "b"
    url = parse("https://Host.Example.:8443/p?q=1")
    assert (url.kind, url.netloc, url.port, url.path) == ("url", "host.example", 8443, "/p")
    assert parse("file:///a/b").path == "/a/b" and parse("C:/data/x").kind == "local"


def test_results_are_never_written_into_the_service_s_own_files_even_under_a_listed_place(monkeypatch, tmp_path):
    from deployments.security.uri_policy import SERVICE_ROOT

    policy = UriPolicy(write=[os.path.dirname(SERVICE_ROOT)])  # a place that covers the service's tree
    monkeypatch.chdir(SERVICE_ROOT)
    for uri in ["data/lang/en.yaml", os.path.join(SERVICE_ROOT, "data", "company_docs.jsonl"),
                f"file://{SERVICE_ROOT}/deployments/results.jsonl", "data/%2e%2e/app.py"]:
        with pytest.raises(ServiceError) as refused:
            check_place(uri, "output_uri", policy, write=True)
        assert refused.value.status == 400 and "own files" in refused.value.message, uri
    beside = os.path.join(os.path.dirname(SERVICE_ROOT), "medici-results-beside", "out.jsonl")
    assert check_place(beside, "output_uri", policy, write=True).kind == "local"  # the same place outside the tree
