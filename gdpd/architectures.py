"""The registry of classifier architectures, by the name a run configuration gives them.

Listed here explicitly, so that the registry is complete as soon as this module is imported and no module fills it
by being imported.
"""

from __future__ import annotations

from gdpd.cnn import FCN, InceptionTime, ResNet
from gdpd.models import Classifier, LSTMClassifier

ARCHITECTURES: dict[str, type[Classifier]] = {
    "lstm": LSTMClassifier,
    "fcn": FCN,
    "resnet": ResNet,
    "inception": InceptionTime,
}


def build_classifier(architecture: str, in_channels: int, n_classes: int, **kwargs: int) -> Classifier:
    """Build a registered architecture by name (``lstm``, ``fcn``, ``resnet``, ``inception``)."""
    try:
        cls = ARCHITECTURES[architecture]
    except KeyError:
        raise ValueError(f"unknown architecture {architecture!r}; choose one of {sorted(ARCHITECTURES)}") from None
    return cls(in_channels, n_classes, **kwargs)
