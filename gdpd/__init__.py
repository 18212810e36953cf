"""Generative Diffusion Prior Distillation (GDPD) for full-to-partial time-series distillation.

Reference: "Generative Diffusion Prior Distillation for Long-Context Knowledge Transfer", ICLR 2026
(arXiv 2605.11414, OpenReview e5tepxQfE1).
"""

__version__ = "0.1.0"
