"""Submitting a run to the leaderboard: checklist, bundle, auth, GitHub REST, flow.

Engine code: no Textual import, usable from the CLI, the app and tests. Nothing
here reaches the network except ``github.py``, and only ``flow.submit`` calls it.
"""

from __future__ import annotations

DEFAULT_API = "https://api.github.com"
ENV_API = "ACCELMARK_GITHUB_API"
