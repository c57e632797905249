"""The OpenAI-compatible endpoint backend's declaration (``openai_endpoint.EndpointBackend``).

``--model`` is the served model's name; ``endpoint/setup.py:prepare_endpoint`` starts or reaches the
server and reads these options. Kept apart from ``openai_endpoint.py`` so the CLI reads it at start
without importing the asyncio client.
"""

from __future__ import annotations

from accelmark_tui.engine.backend_spec import BackendSpec, Option

API_KINDS = ("chat", "completions")


SPEC = BackendSpec(
    name="openai-endpoint",
    title="openai-endpoint options (any OpenAI-compatible server; --model is the served model name)",
    backend="accelmark_tui.backends.openai_endpoint:EndpointBackend",
    model_formats=("served",),
    prepare="accelmark_tui.endpoint.setup:prepare_endpoint",
    dist="accelmark-tui",
    precisions=("FP32", "FP16", "BF16", "FP8", "INT8", "INT4", "mixed"),
    options=(
        # The app's endpoint form has its own fields for these five (a URL box that fetches the models, …).
        Option("base_url", str, "the server's API root, e.g. http://127.0.0.1:8000/v1", metavar="URL", form=False,
               affects_result=False),
        Option("api_key_env", str, "NAME of the environment variable holding the API key", metavar="VAR",
               form=False, affects_result=False),
        Option("api", str, "API to measure", default="chat", choices=API_KINDS, form=False),
        Option("serve_cmd", str, "start this server for the run; {port} is replaced, e.g. "
               "\"llama-server -m m.gguf --port {port}\"", metavar="CMD", form=False, affects_result=False),
        Option("chip", str, "the remote server's accelerator (declared hardware)", metavar="NAME", form=False),
        Option("chip_count", int, "how many of --chip the server uses", metavar="N", minimum=1, form=False),
        Option("precision", str, "the served model's precision (BF16, FP8, INT4, ...)", metavar="DTYPE"),
        Option("model_id", str, "canonical model id for the result (default: served name)", metavar="ORG/NAME"),
        Option("model_revision", str, "the served model's revision, if known", metavar="REV"),
        Option("connect_timeout_s", float, "seconds to connect", default=10.0, flag="--connect-timeout",
               metavar="S", affects_result=False),
        Option("first_byte_timeout_s", float, "seconds to the first byte of a response", default=120.0,
               flag="--first-byte-timeout", metavar="S", affects_result=False),
        Option("idle_timeout_s", float, "a stream silent this long fails", default=60.0, flag="--idle-timeout",
               metavar="S", affects_result=False),
    ),
)
