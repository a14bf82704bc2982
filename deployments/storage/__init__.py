"""The one embedded database every deployment stores its state in (LanceDB), each in its own tables."""

from deployments.storage.database import StorageError, StorageSettings, open_database, open_table, redacted

__all__ = ["StorageError", "StorageSettings", "open_database", "open_table", "redacted"]
