"""The run setup's model row in words: what each source means for the chosen runner's backend.

A llama.cpp runner reads GGUF files (a local file, or ``ORG/REPO[@REV]:FILE.gguf`` from the hub); a backend
whose ``model_formats`` is Hugging Face folders alone (mlx-lm) reads a local folder or a whole repo
(``ORG/NAME[@REV]``). Pure functions of the choice: the screen applies them.
"""

from __future__ import annotations

from typing import Any

from accelmark_tui.ui.setup_form import HUB_EXAMPLE, HUB_REPO_EXAMPLE


def labels(folders: bool) -> tuple[str, str, str]:
    """(the local source's label, the path box's placeholder, the hub box's placeholder)."""
    if folders:
        return "Local folder", "/path/to/model-folder", "ORG/NAME[@REV]"
    return "Local GGUF", "/path/to/model.gguf", "ORG/REPO[@REV]:FILE.gguf"


def about(source: str, folders: bool, suite: Any, packaged: bool) -> str:
    """The line under the model row for ``source`` ("suite" | "local" | "hub")."""
    name = getattr(suite, "model_short_name", None) or "The model"
    if source == "suite":
        if folders and packaged:
            return f"{name}'s bundled GGUF cannot be read by this runner; pick a Hugging Face folder or repo."
        return f"{name}, embedded (packaged with accelmark)." if packaged else f"{name} is not packaged; pick a file."
    if source == "local":
        return ("A Hugging Face model folder (config.json, *.safetensors, tokenizer) on this machine." if folders
                else "A .gguf file on this machine; its header is checked before the run starts.")
    if source == "hub":
        return f"Downloaded through huggingface_hub, e.g. {HUB_REPO_EXAMPLE if folders else HUB_EXAMPLE}"
    return ""
