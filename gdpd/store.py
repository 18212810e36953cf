"""The results store: one JSON record per run, keyed by a hash of its configuration, written atomically.

Which folder a store writes to:

- ``data/results``, the book's store, committed with the repository: the chapters render from it. It is written only
  where it is named (``gdpd grid --results data/results``, ``GDPD_RESULTS=data/results``), as the maintainers fill it.
- by default a reader's own runs go to the user store ``data/user-results`` (ignored by git), which reads through to
  the book's store: a record or teacher the book holds is reused, and whatever is computed lands in the user store.
- ``ResultStore(folder)``, ``--results DIR`` or ``$GDPD_RESULTS`` name any other folder: a store of its own, read and
  written there alone.

Layout under a store's folder::

    runs/<dataset>/<key>.json      one record per student run
    teachers/<dataset>-<key>.pt    cached teacher weights (recomputed deterministically when absent)
    teachers/<dataset>-<key>.json  the teacher's configuration, metrics and every seed's validation curve
    teachers/candidates/<dataset>-<key>.{pt,json}
                                   each teacher seed as it finishes training (an interrupted teacher resumes from
                                   them; teachers that differ only in how a seed is chosen share them). The chosen
                                   teacher's files hold all a run needs, so the book's store commits these only for a
                                   teacher still being trained when a grid stops part-way.
    models/<dataset>/<key>.pt      a run's trained weights, kept only where asked for (chapters that look inside)
    early/<dataset>/<key>.json     one record per aeon early classifier scored (early-classification chapter)
    cost/<key>.json                one record per cost measurement (cost chapter)

A record is written to a temporary file in the same folder and renamed into place, so a crash leaves either the whole
record or none; a file that does not parse or whose key does not match its content is treated as missing. A folder
that holds anything else than this layout is not a store and is refused, so a mistyped ``--results`` never scatters
records into an unrelated folder.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from gdpd.config import config_key
from gdpd.provenance import REPO_ROOT

COMMITTED_ROOT = REPO_ROOT / "data" / "results"
USER_ROOT = REPO_ROOT / "data" / "user-results"
# What a store's folder may hold: the layout above.
STORE_ENTRIES = frozenset({"runs", "teachers", "models", "early", "cost"})
TEACHER_FILES = (".pt", ".json")
CHOOSE_A_FOLDER = "name a writable store or a new folder with --results DIR or GDPD_RESULTS"
RECORD_FIELDS = ("key", "config", "metrics", "training", "provenance")
SIDE_FIELDS = ("key", "config", "metrics", "provenance")


class StoreError(ValueError):
    """A results folder that cannot serve as a store: not a store, or not writable. The message names the fix."""


def _temporary_file(folder: Path, prefix: str) -> tuple[int, str]:
    """A new temporary file in ``folder`` (created if absent); :class:`StoreError` where the folder is not writable."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
    except OSError as error:
        if not isinstance(error, PermissionError) and error.errno != errno.EROFS:
            raise
        raise StoreError(f"cannot write {_shown(folder)} ({error.strerror}); {CHOOSE_A_FOLDER}") from error


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write`` on a unique temporary sibling of ``path``, then rename it into place atomically.

    Concurrent writers of the same path each use their own temporary file; the last rename wins, whole. A folder that
    cannot be written (permissions, a read-only file system) raises :class:`StoreError`.
    """
    fd, tmp = _temporary_file(path.parent, f".{path.name}.")
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


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it lies inside it, so messages and chapters name no machine path."""
    resolved = path.resolve()
    return str(resolved.relative_to(REPO_ROOT)) if resolved.is_relative_to(REPO_ROOT) else str(path)


def _same_folder(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _check_store_folder(root: Path) -> None:
    """Raise :class:`StoreError` unless ``root`` is absent, empty, or holds only a store's layout (dot files aside)."""
    if root.exists() and not root.is_dir():
        raise StoreError(f"results folder {_shown(root)} is a file, not a folder; {CHOOSE_A_FOLDER}")
    if not root.is_dir():
        return
    foreign = sorted(p.name for p in root.iterdir() if p.name not in STORE_ENTRIES and not p.name.startswith("."))
    if foreign:
        listed = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise StoreError(
            f"results folder {_shown(root)} is not a results store: it holds {listed}, and a store holds only "
            f"{', '.join(sorted(STORE_ENTRIES))}; {CHOOSE_A_FOLDER}"
        )


def _teacher_folder(candidate: bool) -> Path:
    return Path("teachers") / "candidates" if candidate else Path("teachers")


def safe_name(dataset: str) -> str:
    """A folder name for a dataset given by name or by path."""
    return Path(dataset).name or "dataset"


class ResultStore:
    """Read and write records under ``root``; read the folders of ``read_through`` too, and never write them.

    ``root`` defaults to ``$GDPD_RESULTS``, else to the user store. The user store reads through to the book's store,
    whichever way it was named (grid workers given the folder see the same store); any other folder is a store of its
    own. A record is read from the first folder, ``root`` first, that holds it validly; every write goes to ``root``.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        named = root or os.environ.get("GDPD_RESULTS")
        self.root = Path(named) if named else USER_ROOT
        self.read_through = (COMMITTED_ROOT,) if _same_folder(self.root, USER_ROOT) else ()
        for folder in self.layers:
            _check_store_folder(folder)

    @property
    def layers(self) -> tuple[Path, ...]:
        """The folders records are read from, in order: ``root``, then the read-through folders."""
        return (self.root, *self.read_through)

    def __str__(self) -> str:
        """The folder written to, and those read through, relative to the repository when inside it."""
        if not self.read_through:
            return _shown(self.root)
        return f"{_shown(self.root)} (reading through {', '.join(map(_shown, self.read_through))})"

    def ensure_writable(self) -> ResultStore:
        """This store, once a file could be created and removed in ``root`` (folders created for the probe are
        removed again); :class:`StoreError` otherwise. Commands that compute call it before they train, so a bad
        folder fails at once."""
        missing = [folder for folder in (self.root, *self.root.parents) if not folder.exists()]
        fd, probe = _temporary_file(self.root, ".write-probe.")
        os.close(fd)
        os.unlink(probe)
        for folder in missing:  # leave no trace: a command that then refuses its input has written nothing
            folder.rmdir()
        return self

    @staticmethod
    def _run_file(dataset: str, key: str) -> Path:
        return Path("runs") / safe_name(dataset) / f"{key}.json"

    def run_path(self, dataset: str, key: str) -> Path:
        """Where :meth:`put` writes the run record ``key``."""
        return self.root / self._run_file(dataset, key)

    def model_path(self, dataset: str, key: str) -> Path:
        """Where a run's trained weights are kept when asked for (``gdpd run --keep-model``): beside the record that
        :meth:`get` returns, so weights kept in the book's store are read there, and new ones are written to
        ``root`` next to their new record."""
        record = self._run_file(dataset, key)
        layer = next((layer for layer in self.layers if self.read_record(layer / record) is not None), self.root)
        return layer / "models" / safe_name(dataset) / f"{key}.pt"

    def _teacher_layer(self, folder: Path, dataset: str, key: str) -> Path | None:
        """The first layer whose ``folder`` holds both of the teacher's (or candidate's) files, or ``None``."""
        stem = f"{safe_name(dataset)}-{key}"
        return next((layer for layer in self.layers
                     if all((layer / folder / f"{stem}{end}").exists() for end in TEACHER_FILES)), None)

    def has_teacher(self, dataset: str, key: str, candidate: bool = False) -> bool:
        """Whether some layer holds the teacher's (with ``candidate``, the teacher seed's) weights and description."""
        return self._teacher_layer(_teacher_folder(candidate), dataset, key) is not None

    def teacher_path(self, dataset: str, key: str, suffix: str, candidate: bool = False) -> Path:
        """The teacher's (with ``candidate``, one teacher seed's) weights (``.pt``) or description (``.json``): in the
        first layer holding both, else in ``root``, where one trained now is written."""
        folder = _teacher_folder(candidate)
        layer = self._teacher_layer(folder, dataset, key) or self.root
        return layer / folder / f"{safe_name(dataset)}-{key}{suffix}"

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

    def _read_through(self, relative: Path, fields: tuple[str, ...]) -> dict[str, Any] | None:
        """The first valid record at ``relative`` in the layers, ``root`` first."""
        for layer in self.layers:
            record = self.read_record(layer / relative, fields)
            if record is not None:
                return record
        return None

    def get(self, dataset: str, key: str) -> dict[str, Any] | None:
        return self._read_through(self._run_file(dataset, key), RECORD_FIELDS)

    def find(self, key: str) -> dict[str, Any] | None:
        """The run record ``key`` whatever its dataset (``gdpd rerun KEY``), or ``None``."""
        for layer in self.layers:
            for path in sorted((layer / "runs").glob(f"*/{key}.json")):
                record = self.read_record(path)
                if record is not None:
                    return record
        return None

    def put(self, record: dict[str, Any]) -> Path:
        """Store a complete run record; refuses one whose key does not match its configuration."""
        self._check(record, RECORD_FIELDS)
        path = self.run_path(record["config"]["dataset"], record["key"])
        atomic_write_text(path, json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n")
        return path

    @staticmethod
    def _side_file(kind: str, key: str, group: str | None) -> Path:
        return (Path(kind) if group is None else Path(kind) / safe_name(group)) / f"{key}.json"

    def side_path(self, kind: str, key: str, group: str | None = None) -> Path:
        """Where :meth:`put_side` writes a record of another kind than runs: ``<kind>/[<group>/]<key>.json``."""
        return self.root / self._side_file(kind, key, group)

    def get_side(self, kind: str, key: str, group: str | None = None) -> dict[str, Any] | None:
        """The ``kind`` record ``key`` (fields ``SIDE_FIELDS``), or ``None`` when absent, partial, corrupt or
        mislabelled."""
        return self._read_through(self._side_file(kind, key, group), SIDE_FIELDS)

    def put_side(self, kind: str, record: dict[str, Any], group: str | None = None) -> Path:
        """Store a ``kind`` record: an early classifier's score, a cost measurement (fields ``SIDE_FIELDS``; the key
        hashes its configuration)."""
        self._check(record, SIDE_FIELDS)
        path = self.side_path(kind, record["key"], group)
        atomic_write_text(path, json.dumps(record, sort_keys=True, indent=1) + "\n")
        return path

    def records(self) -> Iterator[dict[str, Any]]:
        """Every valid run record, each read as :meth:`get` reads it, in a stable order; corrupt files are skipped
        (and recomputed by a grid)."""
        relatives = {path.relative_to(layer) for layer in self.layers for path in (layer / "runs").glob("*/*.json")}
        for relative in sorted(relatives):
            record = self._read_through(relative, RECORD_FIELDS)
            if record is not None:
                yield record
