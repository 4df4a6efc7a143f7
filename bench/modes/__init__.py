"""Measurement modes: performance, spinup, accuracy, energy; stream (sww01: a long wav, scored on the host)."""

MODES = ("performance", "spinup", "accuracy", "energy", "stream")  # stream: sww01 only
DEFAULT_MODES = ("performance", "spinup")
