"""The results store: one JSON record per run, keyed by a hash of its configuration, written atomically.

Layout under the root (``data/results`` by default, or ``$GDPD_RESULTS``)::

    runs/<dataset>/<key>.json      one record per student run
    teachers/<dataset>-<key>.pt    cached teacher weights (recomputed deterministically when absent)
    teachers/<dataset>-<key>.json  the teacher's configuration, metrics and every seed's validation curve
    models/<dataset>/<key>.pt      a run's trained weights, kept only where asked for (chapters that look inside)
    early/<dataset>/<key>.json     one record per aeon early classifier scored (early-classification chapter)
    cost/<key>.json                one record per cost measurement (cost chapter)

A record is written to a temporary file in the same folder and renamed into place, so a crash leaves either the whole
record or none; a file that does not parse or whose key does not match its content is treated as missing.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from gdpd.config import config_key
from gdpd.provenance import REPO_ROOT

DEFAULT_ROOT = REPO_ROOT / "data" / "results"
RECORD_FIELDS = ("key", "config", "metrics", "training", "provenance")
SIDE_FIELDS = ("key", "config", "metrics", "provenance")


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write`` on a unique temporary sibling of ``path``, then rename it into place atomically.

    Concurrent writers of the same path each use their own temporary file; the last rename wins, whole.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda handle: handle.write(text.encode()))


def safe_name(dataset: str) -> str:
    """A folder name for a dataset given by name or by path."""
    return Path(dataset).name or "dataset"


class ResultStore:
    """Read and write run records under ``root``."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root or os.environ.get("GDPD_RESULTS") or DEFAULT_ROOT)

    def run_path(self, dataset: str, key: str) -> Path:
        return self.root / "runs" / safe_name(dataset) / f"{key}.json"

    def model_path(self, dataset: str, key: str) -> Path:
        """Where a run's trained weights are kept when asked for (``gdpd run --keep-model``)."""
        return self.root / "models" / safe_name(dataset) / f"{key}.pt"

    def teacher_path(self, dataset: str, key: str, suffix: str) -> Path:
        return self.root / "teachers" / f"{safe_name(dataset)}-{key}{suffix}"

    @staticmethod
    def read_record(path: Path, fields: tuple[str, ...] = RECORD_FIELDS) -> dict[str, Any] | None:
        """The record at ``path``, or ``None`` when it is absent, partial, corrupt or mislabelled.

        A record is valid when it parses, holds every one of ``fields``, and its ``key`` is both the file's name and
        the hash of its ``config``.
        """
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or any(field not in record for field in fields):
            return None
        if record["key"] != path.stem or config_key(record["config"]) != record["key"]:
            return None
        return record

    @staticmethod
    def _check(record: dict[str, Any], fields: tuple[str, ...]) -> None:
        missing = [field for field in fields if field not in record]
        if missing:
            raise ValueError(f"record lacks {missing}; only complete results are stored")
        if config_key(record["config"]) != record["key"]:
            raise ValueError("record key does not match its configuration; refusing to store it")

    def get(self, dataset: str, key: str) -> dict[str, Any] | None:
        return self.read_record(self.run_path(dataset, key))

    def put(self, record: dict[str, Any]) -> Path:
        """Store a complete run record; refuses one whose key does not match its configuration."""
        self._check(record, RECORD_FIELDS)
        path = self.run_path(record["config"]["dataset"], record["key"])
        atomic_write_text(path, json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n")
        return path

    def side_path(self, kind: str, key: str, group: str | None = None) -> Path:
        """Where a record of another kind than runs lives: ``<kind>/[<group>/]<key>.json``."""
        folder = self.root / kind if group is None else self.root / kind / safe_name(group)
        return folder / f"{key}.json"

    def get_side(self, kind: str, key: str, group: str | None = None) -> dict[str, Any] | None:
        """The ``kind`` record ``key`` (fields ``SIDE_FIELDS``), or ``None`` when absent, partial, corrupt or
        mislabelled."""
        return self.read_record(self.side_path(kind, key, group), SIDE_FIELDS)

    def put_side(self, kind: str, record: dict[str, Any], group: str | None = None) -> Path:
        """Store a ``kind`` record: an early classifier's score, a cost measurement (fields ``SIDE_FIELDS``; the key
        hashes its configuration)."""
        self._check(record, SIDE_FIELDS)
        path = self.side_path(kind, record["key"], group)
        atomic_write_text(path, json.dumps(record, sort_keys=True, indent=1) + "\n")
        return path

    def records(self) -> Iterator[dict[str, Any]]:
        """Every valid run record, in a stable order; corrupt files are skipped (and recomputed by a grid)."""
        for path in sorted((self.root / "runs").glob("*/*.json")):
            record = self.read_record(path)
            if record is not None:
                yield record
