"""OpenAI-compatible endpoints: the lean HTTP client, stream parsing, probing and server launch."""
