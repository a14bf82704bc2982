"""Opening the shared database: defaults, bad locations fail naming the setting, credentials never shown."""

from __future__ import annotations

import os
import stat

import pyarrow as pa
import pytest

from deployments.storage import StorageError, StorageSettings, open_database, open_table, redacted


def test_default_uri_is_under_data_dir(tmp_path):
    settings = StorageSettings(data_dir=str(tmp_path))
    assert settings.resolved_uri() == str(tmp_path / "lancedb")
    assert StorageSettings(uri="s3://bucket/prefix").resolved_uri() == "s3://bucket/prefix"


def test_open_creates_the_directory_and_tables_persist(tmp_path):
    uri = str(tmp_path / "db")
    schema = pa.schema([("key", pa.string())])
    table = open_table(open_database(uri), "things", schema)
    table.add([{"key": "a"}])
    again = open_table(open_database(uri), "things", schema)
    assert again.count_rows() == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_directory_names_the_setting(tmp_path):
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StorageError, match=r"documents\.storage\.uri=.*not a writable directory"):
            open_database(str(tmp_path / "db"), setting="documents.storage.uri")
    finally:
        tmp_path.chmod(stat.S_IRWXU)


def test_unsupported_scheme_names_the_setting():
    with pytest.raises(StorageError, match=r"storage\.uri=.*unsupported scheme"):
        open_database("ftp://host/db")


def test_credentials_in_a_uri_are_redacted():
    assert redacted("s3://AKIAXXXX:verysecret@bucket/prefix") == "s3://bucket/prefix"
    assert redacted("/data/db") == "/data/db"


def test_unreachable_object_store_hides_option_values():
    options = {"aws_access_key_id": "AKIAFAKEKEY", "aws_secret_access_key": "topsecretvalue",
               "aws_endpoint": "http://127.0.0.1:9", "allow_http": "true", "aws_region": "us-east-1"}
    with pytest.raises(StorageError) as caught:
        open_database("s3://no-such-bucket/db", options)
    message = str(caught.value)
    assert "storage.uri='s3://no-such-bucket/db' cannot be opened" in message
    assert "topsecretvalue" not in message and "AKIAFAKEKEY" not in message


def test_a_file_where_the_directory_should_be_names_the_setting(tmp_path):
    (tmp_path / "db").write_text("not a directory")
    with pytest.raises(StorageError, match=r"topics\.storage\.uri=.*not a writable directory"):
        open_database(str(tmp_path / "db"), setting="topics.storage.uri")
