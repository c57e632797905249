"""The run setup's generated fields: one per option the chosen runner's backend declares (``BackendSpec``).

A list for choices (blank: the default), on/off for a flag whose default is the backend's own (a list too: a
checkbox could not say "default"), a checkbox for a flag with a default, else a box. The values are read back
by option name; the one check of what was typed is the engine's ``Option.parse`` (``setup_form.check_form``).
"""

from __future__ import annotations

from typing import Any

from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Select, Static

from accelmark_tui.screens.widgets.form_row import field_row
from accelmark_tui.screens.widgets.toggles import Checkbox
from accelmark_tui.ui.setup_form import option_field


def option_row(opt: Any) -> Horizontal:
    name = option_field(opt.name)
    default = f"default: {opt.default}" if opt.default is not None else "default"
    if opt.type is bool and opt.default is not None:
        widget: Any = Checkbox(opt.help, value=bool(opt.default), id=name, compact=True)
    elif opt.choices or opt.type is bool:
        choices = opt.choices or ("on", "off")
        widget = Select([(c, c) for c in choices], prompt=default, id=name, compact=True)
    else:
        widget = Input(id=name, compact=True, placeholder=f"{opt.hint} ({default})")
    widget.tooltip = opt.help
    return field_row(opt.label, name, widget)


class BackendOptions(Vertical):
    """The chosen runner's backend options as fields; hidden when it declares none shown here."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.declared: tuple = ()

    def show(self, backend: str | None, declared: tuple) -> None:
        if [o.name for o in declared] == [o.name for o in self.declared]:
            return
        self.declared = declared
        self.remove_children()
        self.display = bool(declared)
        if declared:
            self.mount_all([Static(f"{backend} options (empty: the default)", classes="options-title"),
                            *(option_row(o) for o in declared)])

    def field_names(self) -> list[str]:
        return [option_field(o.name) for o in self.declared]

    def values(self) -> dict[str, Any]:
        """What is set, by option name (an empty box or a blank list: the default)."""
        out: dict[str, Any] = {}
        for opt in self.declared:
            found = self.query(f"#{option_field(opt.name)}")
            if not found:
                continue
            widget = found.first()
            value = widget.value
            if isinstance(widget, Select):
                value = None if value is Select.NULL else value
            elif isinstance(widget, Input):
                value = value.strip() or None
            elif value == opt.default:  # a checkbox left at the default sets nothing
                value = None
            if value is not None:
                out[opt.name] = value
        return out
