"""``dsar config init``: a commented config template generated from the connectors' declared settings, with a
``${VAR}`` placeholder for every secret and every required value, so no secret is ever written into the file."""

from __future__ import annotations

from typing import Any

from aggregator.config import DEFAULT_CONTROLLER
from aggregator.plugins import Registry
from aggregator.settings import Setting

HEADER = """\
# dsar-aggregator configuration (written by `dsar config init`).
#
# Found as: --config FILE, else $DSAR_CONFIG, else $XDG_CONFIG_HOME/dsar/dsar.toml (~/.config/dsar/dsar.toml),
# else /etc/dsar/dsar.toml.  `dsar config path` says which file is used.
#
# ${NAME} is replaced by the environment variable NAME when the file is read (a missing one is an error that
# names it): keep secrets in the environment (a systemd EnvironmentFile, a secret store), never in this file.
# Delete the [connectors.<name>] section of a processor the shop does not use. Then test with: dsar check
"""


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def variable(connector: str, setting: Setting) -> str:
    """The environment variable a template names for a setting: ``LIGHTSPEED_API_SECRET``."""
    return f"{connector}_{setting.name}".upper()


def section(name: str, settings: tuple[Setting, ...], description: str) -> list[str]:
    """One ``[connectors.<name>]`` table: required keys as placeholders, optional ones commented out."""
    lines = [f"[connectors.{name}]"] + ([f"# {description}"] if description else [])
    for s in settings:
        unset = ", unset by default" if s.default is None and not (s.required or s.secret) else ""
        lines.append(f"# {s.help} ({s.describe()}{', secret' if s.secret else ''}"
                     f"{', required' if s.required else ''}{unset})")
        if s.required or s.secret:
            lines.append(f'{s.name} = "${{{variable(name, s)}}}"')
        else:
            lines.append(f"# {s.name} = {_toml(s.default) if s.default is not None else ''}".rstrip())
    return lines


def template(registry: Registry) -> str:
    """The whole template: controller, register and TLS tables commented out, one section per connector."""
    lines = [HEADER, "# The controller named in every package (these are the defaults):", "# [controller]"]
    lines += [f"# {k} = {_toml(v)}" for k, v in DEFAULT_CONTROLLER.items()]
    lines += ["", "# Where the request register lives (default: $DSAR_REGISTER or the user data directory):",
              "# [register]", '# path = "/var/lib/dsar/register.sqlite3"', "",
              "# A private CA for the vendors' TLS (e.g. behind an inspecting proxy):", "# [tls]",
              '# ca_bundle = "/etc/ssl/certs/company-ca.pem"', ""]
    for name, cls in registry.connectors.items():
        lines += section(name, cls.all_settings(), cls.description) + [""]
    return "\n".join(lines).rstrip() + "\n"


__all__ = ["template", "variable"]
