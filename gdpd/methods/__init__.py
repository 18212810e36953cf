"""Distillation methods, one file each, collected in the :data:`METHODS` registry (in the order they import)."""
# ruff: noqa: I001  (the import order is the registry's order)

from gdpd.methods._base import METHODS, Batch, Distiller, MethodConfig, Stage, build_distiller, register
from gdpd.methods import ce  # noqa: F401  (importing a method registers it; the order is `gdpd methods`')
from gdpd.methods import kd  # noqa: F401
from gdpd.methods import fitnets  # noqa: F401
from gdpd.methods import gdpd  # noqa: F401
from gdpd.methods import rkd  # noqa: F401
from gdpd.methods import attention  # noqa: F401
from gdpd.methods import dkd  # noqa: F401
from gdpd.methods import dt2w  # noqa: F401
from gdpd.methods import vid  # noqa: F401
from gdpd.methods import pkt  # noqa: F401
from gdpd.methods import tekap  # noqa: F401
from gdpd.methods import ttm  # noqa: F401

__all__ = ["METHODS", "Batch", "Distiller", "MethodConfig", "Stage", "build_distiller", "register"]
