"""Runner folders (AccelMark convention). Discovered as data, never imported by name."""
