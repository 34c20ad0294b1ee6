"""Logging that is safe to show: one filter, on the handler, covers our loggers and every library's (urllib3,
msal, the SDKs): each record is redacted, kept to one printable line, and carries no traceback (a one-line
summary of the exception instead), so no secret, terminal escape or library stack trace reaches the user."""

from __future__ import annotations

import logging
import sys

from aggregator.http import Redactor
from aggregator.text import printable

FORMAT = "%(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """A handler filter: redacts with ``redactor`` (which learns the run's secrets and tokens as they appear),
    folds any traceback into one line, and replaces control characters."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops one."""
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message += f" ({type(exc).__name__}: {exc})"
        record.msg = printable(self.redactor.line(message, 2000))
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def configure(level: int, redactor: Redactor) -> logging.Handler:
    """Send log records at ``level`` and above to stderr through a :class:`RedactingFilter` (the CLI's setup)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
