"""Trending-topic detection: LLM labels per document, canonical topics by embedding, trends per window."""
