"""Base: the student trained on prefixes with cross-entropy alone, no teacher."""

from __future__ import annotations

from gdpd.config import MethodSettings
from gdpd.methods.distiller import Distiller


class Base(Distiller):
    """``L = CE(student(x_prefix), y)``."""

    name = "base"
    label = "Base"
    description = "the student trained on prefixes with cross-entropy alone, no teacher"
    citation = "the reference of every comparison in the GDPD paper (ICLR 2026)"
    needs_teacher = False
    Settings = MethodSettings
