"""A labelled form row whose body ends with the field's error label (hidden until it has text).

The row is ``#<name>-field`` and the label ``#<name>-error``: a screen shows a
field's sentence with ``show_field_error`` and the row gets ``-invalid``.
"""

from __future__ import annotations

from typing import Any

from textual.containers import Horizontal, Vertical
from textual.widgets import Label


def field_row(label: str, name: str, *widgets: Any) -> Horizontal:
    body = Vertical(*widgets, Label("", id=f"{name}-error", classes="-error"), classes="field-body")
    return Horizontal(Label(label, classes="field-label"), body, classes="field", id=f"{name}-field")


def show_field_error(root: Any, name: str, error: str | None) -> None:
    """Put ``error`` (or nothing) under field ``name`` inside ``root`` (a screen or a widget)."""
    label = root.query_one(f"#{name}-error", Label)
    label.update(error or "")
    label.set_class(bool(error), "-shown")
    root.query_one(f"#{name}-field").set_class(bool(error), "-invalid")
