"""Distillation methods, one file each, and the registry that names them.

Every public module of this package but :mod:`gdpd.methods.distiller` (the :class:`Distiller` interface they share)
holds one method: its settings, its pure loss and a thin :class:`Distiller` subclass. :data:`METHODS` collects those
classes when the package loads, so a new method is one new file; :func:`register` adds a method defined elsewhere (a
notebook, a test).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import is_dataclass
from typing import Any

from gdpd.config import RUN_OPTIONS, MethodSettings, RunConfig
from gdpd.methods.distiller import Batch, Distiller, Stage
from gdpd.models import Classifier

PAPER_METHODS = ("base", "kd", "fitnets", "gdpd", "rkd", "attention", "dkd", "dt2w", "vid", "pkt", "tekap", "ttm")
"""The methods of the paper's comparison with other distillers (its Table 2), in its order."""
METHODS: dict[str, type[Distiller]] = {}
"""Every method by name, in the order tables list them: :data:`PAPER_METHODS`, then the package's other methods by
module name, then those registered later."""


def register(cls: type[Distiller]) -> type[Distiller]:
    """Add ``cls`` to :data:`METHODS` under ``cls.name`` after checking what the package relies on (a class
    decorator)."""
    if cls.name in METHODS:
        raise ValueError(f"method {cls.name!r} is registered twice")
    unnamed = [attribute for attribute in ("name", "label", "description", "citation")
               if not isinstance(getattr(cls, attribute, None), str)]
    if unnamed:
        raise ValueError(f"method {cls.__name__} lacks {', '.join(unnamed)}: set them as class attributes (strings)")
    if not (isinstance(cls.Settings, type) and issubclass(cls.Settings, MethodSettings) and is_dataclass(cls.Settings)):
        raise ValueError(f"{cls.__name__}.Settings must be a frozen dataclass subclassing gdpd.config.MethodSettings")
    shadowed = sorted(set(cls.Settings.names()) & set(RUN_OPTIONS))
    if shadowed:
        raise ValueError(f"method {cls.name!r} names settings {shadowed} like run options; rename them")
    METHODS[cls.name] = cls
    return cls


def method_class(name: str) -> type[Distiller]:
    """The registered method ``name``; the one place an unknown name is refused."""
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; `gdpd methods` lists them: {', '.join(METHODS)}") from None


def build_distiller(
    name: str, student: Classifier, teacher_dim: int, settings: MethodSettings | None = None
) -> Distiller:
    """Instantiate the registered method ``name`` around ``student`` (its default settings when none are given)."""
    cls = method_class(name)
    return cls(student, teacher_dim, cls.Settings() if settings is None else settings)


def config_from_dict(data: dict[str, Any]) -> RunConfig:
    """A stored configuration (:meth:`RunConfig.to_dict` or ``full_dict``) as a :class:`RunConfig`."""
    return RunConfig.from_dict(data, method_class(data["method"]).Settings)


def _collect() -> None:
    """Register the :class:`Distiller` subclass that each method module of this package defines."""
    found = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if not module_info.name.startswith("_"):
            module = importlib.import_module(f"{__name__}.{module_info.name}")
            found += [value for value in vars(module).values() if isinstance(value, type) and value is not Distiller
                      and issubclass(value, Distiller) and value.__module__ == module.__name__]
    names = [cls.name for cls in found]
    missing = [name for name in PAPER_METHODS if name not in names]
    if missing:
        raise ImportError(f"gdpd.methods defines no method {missing} of the paper's comparison (PAPER_METHODS)")
    for cls in sorted(found, key=_table_rank):
        register(cls)


def _table_rank(cls: type[Distiller]) -> int:
    return PAPER_METHODS.index(cls.name) if cls.name in PAPER_METHODS else len(PAPER_METHODS)


_collect()

__all__ = [
    "METHODS", "PAPER_METHODS", "Batch", "Distiller", "Stage", "build_distiller", "config_from_dict", "method_class",
    "register",
]
