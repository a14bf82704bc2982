"""The DocumentStore deployment: documents, their embeddings, keyword + semantic + hybrid search."""
