"""Suite folders: suites/<suite_id>/suite.json (AccelMark suite schema)."""
