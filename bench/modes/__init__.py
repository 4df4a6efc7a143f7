"""Measurement modes: performance, spinup (and accuracy, energy as they land)."""

MODES = ("performance", "spinup", "accuracy", "energy")
DEFAULT_MODES = ("performance", "spinup")
