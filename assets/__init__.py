"""Bundled data: upstream schemas, request sets, accuracy subset (see NOTICE)."""
