"""Radio buttons and checkboxes whose state shows without colour.

Textual draws ``▐●▌`` and ``▐X▌`` whether a button is on or off and tells
them apart by colour only, which a colour-blind user, a monochrome terminal
or a screenshot loses. These leave the inner mark out while off.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox as _Checkbox
from textual.widgets import RadioButton as _RadioButton


class _MarkOnlyWhenOn:
    BUTTON_INNER: str

    @property
    def _button(self) -> Content:
        if self.value:  # type: ignore[attr-defined]
            return super()._button  # type: ignore[misc]
        # Textual's own drawing (its styles, the button's shape) with a blank inner cell: an instance
        # attribute shadows the class's mark for this one call.
        self.BUTTON_INNER = " " * len(type(self).BUTTON_INNER)
        try:
            return super()._button  # type: ignore[misc]
        finally:
            del self.BUTTON_INNER


class RadioButton(_MarkOnlyWhenOn, _RadioButton):
    """A radio button: ``▐●▌`` when chosen, ``▐ ▌`` when not."""


class Checkbox(_MarkOnlyWhenOn, _Checkbox):
    """A checkbox: ``▐X▌`` when ticked, ``▐ ▌`` when not."""
