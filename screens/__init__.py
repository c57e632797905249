"""Textual screens. Import the engine, never the reverse."""
