"""A fixture-backed HTTPS sandbox that answers like the five vendor APIs (see ``server.py``)."""

from aggregator.sandbox.server import Fault, Sandbox

__all__ = ["Fault", "Sandbox"]
