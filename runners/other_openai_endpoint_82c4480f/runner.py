"""AccelMark runner: any OpenAI-compatible server (vLLM, SGLang, llama-server, Ollama, ...).

Thin adapter: the measurement code is accelmark's engine (accelmark_tui). The
server is reached over HTTP at the run's --base-url; the hardware measured is
the server's. Run through `accelmark run --runner <this folder's name> --base-url URL`.
"""

from accelmark_tui.engine.child import run_child

BACKEND = "accelmark_tui.backends.openai_endpoint:EndpointBackend"
OPTIONS = {"api": "chat"}

if __name__ == "__main__":
    raise SystemExit(run_child(BACKEND, OPTIONS))
