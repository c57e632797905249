"""A GGUF file's tokenizer, loaded alone (llama.cpp's vocab_only: no weights, no context), to cut prompts to a
shape's length in that model's tokens before its runner starts.
"""

from __future__ import annotations

import ctypes
from typing import Callable, Iterable

from accelmark_tui.errors import ModelError


class Vocab:
    def __init__(self, path: str) -> None:
        from accelmark_tui.backends import llama_lowlevel as L

        L.init_backend()  # also routes llama.cpp's log to accelmark's sink, not the terminal
        self.C = C = L.C
        mp = C.llama_model_default_params()
        mp.vocab_only = True
        self.model = C.llama_model_load_from_file(str(path).encode(), mp)
        if not self.model:
            raise ModelError(f"llama.cpp could not read the vocabulary of {path} ({L.last_log_error()}).")
        self.vocab = C.llama_model_get_vocab(self.model)

    def tokenize(self, text: str) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 16
        buf = (self.C.llama_token * cap)()
        n = self.C.llama_tokenize(self.vocab, data, len(data), buf, cap, False, False)
        if n < 0:
            buf = (self.C.llama_token * -n)()
            n = self.C.llama_tokenize(self.vocab, data, len(data), buf, len(buf), False, False)
        return list(buf[:n])

    def detokenize(self, tokens: list[int]) -> str:
        arr = (self.C.llama_token * len(tokens))(*tokens)
        cap = 8 * len(tokens) + 64
        out = ctypes.create_string_buffer(cap)
        n = self.C.llama_detokenize(self.vocab, arr, len(tokens), out, cap, False, False)
        if n < 0:
            out = ctypes.create_string_buffer(-n)
            n = self.C.llama_detokenize(self.vocab, arr, len(tokens), out, -n, False, False)
        return out.raw[:n].decode("utf-8", "replace")

    def close(self) -> None:
        if self.model:
            self.C.llama_model_free(self.model)
            self.model = None


def cutter(path: str) -> tuple[Callable[[Iterable[str], int], str], Callable[[], None]]:
    """(join texts and cut the result to n tokens, close): the model's own token count, not an estimate."""
    vocab = Vocab(path)

    def cut(texts: Iterable[str], n: int) -> str:
        tokens: list[int] = []
        for text in texts:
            tokens += vocab.tokenize(text + "\n\n")
            if len(tokens) >= n:
                break
        return vocab.detokenize(tokens[:n])

    return cut, vocab.close
