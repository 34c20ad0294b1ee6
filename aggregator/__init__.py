"""dsar-aggregator: answer a GDPR data-subject access request from the shop's processors.

The stable Python API for callers such as the portal backend is :func:`aggregator.api.export`.
"""

from aggregator.api import ExportResult, export
from aggregator.errors import ConfigError, DsarError, InputError
from aggregator.subject import Subject

__all__ = ["ConfigError", "DsarError", "ExportResult", "InputError", "Subject", "export"]
__version__ = "0.1.0"
