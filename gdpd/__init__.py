"""Generative Diffusion Prior Distillation (GDPD) for full-to-partial time-series distillation.

Reference: "Generative Diffusion Prior Distillation for Long-Context Knowledge Transfer", ICLR 2026
(arXiv 2605.11414, OpenReview e5tepxQfE1).

Importing the package pins the CPU code paths of the numerical libraries (unless the environment already sets them),
so that one configuration gives the same bits on any x86-64 machine with AVX2: MKL's conditional bitwise
reproducibility, ATen's and oneDNN's instruction sets. Without the pin, MKL picks kernels by processor and a rerun on
another CPU model drifts in the last digits, which 600 epochs amplify. It takes effect when ``gdpd`` is imported
before torch runs its first kernel.
"""

import os

NUMERICS_ENV = {"MKL_CBWR": "AVX2,STRICT", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
for _name, _value in NUMERICS_ENV.items():
    os.environ.setdefault(_name, _value)

__version__ = "0.1.0"
