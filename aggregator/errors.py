"""The errors the tool reports, each a one-line message and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3


class DsarError(Exception):
    """Base of every error the tool reports to a user as one line."""

    exit_code = EXIT_UNEXPECTED


class InputError(DsarError):
    """The request itself is unusable (a malformed e-mail, an unknown connector name)."""

    exit_code = EXIT_BAD_INPUT


class ConfigError(DsarError):
    """The configuration is unusable (unreadable file, missing key or secret)."""

    exit_code = EXIT_BAD_INPUT


class ConnectorError(DsarError):
    """One connector failed; the message is the one-line reason shown in the package."""


class VendorError(ConnectorError):
    """A vendor API answered with an error or with a body we cannot read."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RegisterError(InputError):
    """The request register refuses an operation (unknown id, wrong state, newer schema, bad date)."""


class UnknownRequest(RegisterError):
    """No request with that id is in the register."""


class DeliveryRefused(RegisterError):
    """The recipient is not an address the shop knows for the subject, and no identity check is recorded."""


class RequestBusy(RegisterError):
    """Another run is working on the same request right now."""
