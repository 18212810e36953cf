"""The flags of ``gdpd run`` that override a preset: one per method setting, generated from the registered methods'
``Settings`` dataclasses, and the run and teacher options.

Kept apart from :mod:`gdpd.cli` so that the command's dispatch reads top to bottom; nothing here imports torch until
:func:`setting_arguments` asks the method registry for its settings.
"""

from __future__ import annotations

import argparse
import types
from dataclasses import fields
from typing import Any, Literal, get_args, get_origin, get_type_hints

RUN_FLAGS = ("prefix_mode", "channel_fraction", "architecture", "hidden", "layers")
TEACHER_OPTIONS = {"teacher_architecture": "architecture", "teacher_hidden": "hidden", "teacher_layers": "layers"}


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
    group = parser.add_argument_group("run options (override the preset)")
    group.add_argument("--prefix-mode", choices=["stretch", "truncate"], help="how the student sees the prefix")
    group.add_argument("--channel-fraction", type=float,
                       help="multivariate: the student sees only the first fraction of the channels (e.g. 0.5)")
    group.add_argument("--architecture", help="student architecture: lstm, fcn, resnet or inception")
    group.add_argument("--hidden", type=int, help="student width (LSTM units, CNN base filters)")
    group.add_argument("--layers", type=int, help="student depth (LSTM layers, blocks, Inception modules)")
    group.add_argument("--teacher-architecture", help="teacher architecture (cross-architecture distillation)")
    group.add_argument("--teacher-hidden", type=int, help="teacher width")
    group.add_argument("--teacher-layers", type=int, help="teacher depth")
