"""The flags of ``gdpd run`` that override a preset, each generated from the field that declares it.

A field declared with :func:`gdpd.config.setting` is a flag with that field's help: the registered methods'
``Settings`` fields (``--weight``, ``--samples``, ...), the run options of :class:`gdpd.config.RunConfig`
(``--prefix-mode``, ``--hidden``, ...) and the teacher's of :class:`gdpd.config.TeacherConfig` (``--teacher-hidden``,
...). Nothing here imports torch until :func:`setting_arguments` asks the method registry for its settings.
"""

from __future__ import annotations

import argparse
import types
from dataclasses import Field, fields
from typing import Any, Literal, get_args, get_origin, get_type_hints

from gdpd.config import RunConfig, TeacherConfig


def flag_fields(cls: type) -> list[Field]:
    """The fields of the dataclass ``cls`` that are flags: those declared with :func:`gdpd.config.setting`."""
    return [f for f in fields(cls) if "help" in f.metadata]


RUN_FLAGS = tuple(f.name for f in flag_fields(RunConfig))
TEACHER_OPTIONS = {f"teacher_{f.name}": f.name for f in flag_fields(TeacherConfig)}
"""Each teacher flag's destination and the :class:`gdpd.config.TeacherConfig` field it overrides."""


def _setting_type(annotation: Any) -> dict[str, Any]:
    """The argparse keywords that parse a setting of type ``annotation`` (``None`` in a union is the default)."""
    if annotation is bool:
        return {"action": argparse.BooleanOptionalAction}
    if get_origin(annotation) is Literal:
        return {"choices": list(get_args(annotation))}
    if isinstance(annotation, types.UnionType):
        annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
    return {"type": annotation}


def setting_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per setting name of the registered methods, its help naming the methods that read it."""
    from gdpd.methods import METHODS

    parse: dict[str, tuple[str, dict[str, Any]]] = {}
    helps: dict[str, dict[str, list[str]]] = {}
    for method, cls in METHODS.items():
        settings = cls.Settings
        hints = get_type_hints(settings)
        for field in fields(settings):
            keywords = _setting_type(hints[field.name])
            first, known = parse.setdefault(field.name, (method, keywords))
            if known != keywords:
                raise ValueError(f"setting {field.name!r} of method {method!r} parses unlike {first!r}'s "
                                 f"({keywords} against {known}); give one of them another name")
            helps.setdefault(field.name, {}).setdefault(field.metadata.get("help", field.name), []).append(method)
    group = parser.add_argument_group("method settings (override the preset; each names the methods that read it)")
    for name, (_, keywords) in parse.items():
        text = "; ".join(f"{sentence} ({', '.join(methods)})" for sentence, methods in helps[name].items())
        group.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None, help=text, **keywords)
    parser.set_defaults(setting_names=tuple(parse))


def run_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per run option and per teacher option, parsed by its field's type."""
    group = parser.add_argument_group("run options (override the preset)")
    for cls, prefix in ((RunConfig, ""), (TeacherConfig, "teacher_")):
        hints = get_type_hints(cls)
        for field in flag_fields(cls):
            name = prefix + field.name
            group.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None, help=field.metadata["help"],
                               **_setting_type(hints[field.name]))
