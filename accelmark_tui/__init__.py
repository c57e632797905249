"""accelmark: benchmark LLM inference on this machine and publish to AccelMark.

The engine (everything but ``ui`` and ``screens``) never imports Textual.
"""

__version__ = "0.1.0"
