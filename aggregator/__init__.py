"""dsar-aggregator: answer a GDPR data-subject access request from the shop's processors.

The stable Python API for callers such as the portal backend is :func:`aggregator.api.export` and the request
register :class:`aggregator.register.Register`.
"""

from importlib.metadata import PackageNotFoundError, version

from aggregator.api import ExportResult, export
from aggregator.errors import (
    ConfigError,
    DeliveryRefused,
    DsarError,
    InputError,
    RegisterError,
    RequestBusy,
    UnknownRequest,
)
from aggregator.register import Register, RequestEntry
from aggregator.subject import Subject

__all__ = ["ConfigError", "DeliveryRefused", "DsarError", "ExportResult", "InputError", "Register", "RegisterError",
           "RequestBusy", "RequestEntry", "Subject", "UnknownRequest", "export"]
try:
    __version__ = version("dsar-aggregator")      # the one place: pyproject.toml
except PackageNotFoundError:                      # a source tree that was never installed
    __version__ = "0+unknown"
