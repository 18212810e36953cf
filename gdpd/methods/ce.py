"""Base: the student trained on prefixes with cross-entropy alone, no teacher."""

from __future__ import annotations

from gdpd.methods._base import Distiller, register


@register
class Base(Distiller):
    """``L = CE(student(x_prefix), y)``."""

    name = "base"
    settings = ()
    needs_teacher = False
