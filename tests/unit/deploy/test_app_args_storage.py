"""AppArgs gives the topic pipeline the documents' database unless topics name their own."""

from deployments.builder import AppArgs


def test_topics_share_the_documents_database_by_default() -> None:
    args = AppArgs.model_validate({"documents": {"storage": {"data_dir": "/srv/medici"}}})
    assert args.topics.storage is not None
    assert args.topics.storage.resolved_uri() == "/srv/medici/lancedb"


def test_topics_keep_their_own_database_when_named() -> None:
    args = AppArgs.model_validate({"documents": {"storage": {"data_dir": "/srv/medici"}},
                                   "topics": {"storage": {"uri": "s3://bucket/topics"}}})
    assert args.topics.storage.resolved_uri() == "s3://bucket/topics"
