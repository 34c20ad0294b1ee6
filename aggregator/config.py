"""Loading the TOML configuration: ``${NAME}`` environment substitution and up-front validation."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aggregator.errors import ConfigError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

DEFAULT_CONTROLLER: dict[str, Any] = {
    "name": "Mega Security",
    "legal_entity": "Securco BV",
    "address": "Seringenstraat 34, B-8850 Ardooie, Belgium",
    "email": "info@megasecurity.eu",
    "supervisory_authority": "Gegevensbeschermingsautoriteit (GBA), Drukpersstraat 35, 1000 Brussel, "
                             "contact@apd-gba.be",
    "response_days": 30,
    "language": "nl",        # the language of the answer's pages (nl or en); `--language` overrides it
    "country": "BE",         # where the controller is established: its authority is named first
}

# Data protection authorities a complaint can go to (Art. 77 GDPR), by country; the controller's is named first,
# and the one of any other EEA country the subject's addresses show. Contact details from each authority's site
# (gegevensbeschermingsautoriteit.be, autoriteitpersoonsgegevens.nl); override or add with [authorities.XX].
DEFAULT_AUTHORITIES: dict[str, dict[str, str]] = {
    "BE": {"name_nl": "Gegevensbeschermingsautoriteit (GBA)", "name_en": "Data Protection Authority (APD-GBA)",
           "address": "Drukpersstraat 35, 1000 Brussel", "phone": "+32 2 274 48 00",
           "email": "contact@apd-gba.be", "url": "https://www.gegevensbeschermingsautoriteit.be"},
    "NL": {"name_nl": "Autoriteit Persoonsgegevens (AP)", "name_en": "Dutch Data Protection Authority (AP)",
           "address": "Postbus 93374, 2509 AJ Den Haag", "phone": "+31 88 1805 250",
           "email": "", "url": "https://www.autoriteitpersoonsgegevens.nl"},
}
_AUTHORITY_KEYS = {"name_nl", "name_en", "address", "phone", "email", "url"}


@dataclass(frozen=True)
class Config:
    """A validated configuration. ``connectors`` maps a connector name to its settings table."""

    controller: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_CONTROLLER))
    connectors: dict[str, dict[str, Any]] = field(default_factory=dict)
    processors: dict[str, dict[str, Any]] = field(default_factory=dict)
    authorities: dict[str, dict[str, str]] = field(default_factory=lambda: dict(DEFAULT_AUTHORITIES))
    ca_bundle: str | None = None
    source: str = "<defaults>"
    register_path: str | None = None   # [register] path, resolved against the config file's folder
    redaction: dict[str, Any] = field(default_factory=dict)   # the validated [redaction] table

    @property
    def response_days(self) -> int:
        """The days the controller has to answer (the deadline is received_at plus these)."""
        return int(self.controller["response_days"])


def _substitute(value: Any, path: str, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in env or env[name] == "":
                raise ConfigError(f"config: {path} needs environment variable {name}, which is not set")
            return env[name]
        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        return {k: _substitute(v, f"{path}.{k}" if path else k, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, f"{path}[{i}]", env) for i, v in enumerate(value)]
    return value


def from_mapping(data: Mapping[str, Any], *, env: Mapping[str, str] | None = None,  # noqa: C901 - one check per table, in a row
                 source: str = "<mapping>", base_dir: Path | None = None) -> Config:
    """Build a Config from an already-parsed TOML document (also used by the sandbox and tests)."""
    data = _substitute(dict(data), "", os.environ if env is None else env)
    unknown = set(data) - {"controller", "tls", "connectors", "processors", "register", "service", "queue",
                           "redaction", "authorities"}
    if unknown:
        raise ConfigError(f"config: unknown table(s): {', '.join(sorted(unknown))}")
    controller = dict(DEFAULT_CONTROLLER)
    ctl = data.get("controller", {})
    if not isinstance(ctl, dict):
        raise ConfigError("config: [controller] must be a table")
    controller.update(ctl)
    try:
        days = int(controller["response_days"])
    except (TypeError, ValueError):
        raise ConfigError("config: controller.response_days must be a whole number") from None
    if not 1 <= days <= 90:
        raise ConfigError("config: controller.response_days must be between 1 and 90")
    controller["response_days"] = days
    if controller.get("language") not in ("nl", "en"):
        raise ConfigError("config: controller.language must be \"nl\" or \"en\"")
    authorities = _authorities(data.get("authorities", {}))

    tls = data.get("tls", {})
    if not isinstance(tls, dict):
        raise ConfigError("config: [tls] must be a table")
    ca_bundle = tls.get("ca_bundle")
    if ca_bundle is not None and not isinstance(ca_bundle, str):
        raise ConfigError("config: tls.ca_bundle must be a path (a string)")
    if ca_bundle is not None:
        path = Path(ca_bundle)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise ConfigError(f"config: tls.ca_bundle file not found: {path}")
        ca_bundle = str(path)

    connectors = data.get("connectors", {})
    if not isinstance(connectors, dict) or not all(isinstance(v, dict) for v in connectors.values()):
        raise ConfigError("config: [connectors.<name>] entries must be tables")
    processors = data.get("processors", {})
    if not isinstance(processors, dict) or not all(isinstance(v, dict) for v in processors.values()):
        raise ConfigError("config: [processors.<key>] entries must be tables")
    register = data.get("register", {})
    if not isinstance(register, dict) or set(register) - {"path"}:
        raise ConfigError("config: [register] takes one key, path")
    register_path = register.get("path")
    if register_path is not None:
        if not isinstance(register_path, str) or not register_path.strip():
            raise ConfigError("config: register.path must be a path (a string)")
        if not Path(register_path).is_absolute() and base_dir is not None:
            register_path = str(base_dir / register_path)
    return Config(controller=controller, connectors={k: dict(v) for k, v in connectors.items()},
                  processors=dict(processors), ca_bundle=ca_bundle, source=source, register_path=register_path,
                  authorities=authorities,
                  redaction=_redaction(data.get("redaction", {})))


ENV_VAR = "DSAR_CONFIG"
SYSTEM_PATH = Path("/etc/dsar/dsar.toml")


def discover(path: str | os.PathLike[str] | None = None, *,
             env: Mapping[str, str] | None = None) -> tuple[Path | None, str]:
    """The config file to use and why: ``path`` (--config), then ``$DSAR_CONFIG``, then
    ``$XDG_CONFIG_HOME/dsar/dsar.toml`` (``~/.config`` by default), then ``/etc/dsar/dsar.toml``; the last two
    only when they exist. ``(None, reason)`` when there is none."""
    env = os.environ if env is None else env
    if path:
        return Path(path), "--config"
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR]), f"${ENV_VAR}"
    xdg = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    user = Path(xdg) / "dsar" / "dsar.toml"
    if user.is_file():
        return user, "$XDG_CONFIG_HOME/dsar/dsar.toml" if env.get("XDG_CONFIG_HOME") else "~/.config/dsar/dsar.toml"
    if SYSTEM_PATH.is_file():
        return SYSTEM_PATH, "the system-wide file"
    return None, f"no --config, no ${ENV_VAR}, no {user}, no {SYSTEM_PATH}"


def user_path(env: Mapping[str, str] | None = None) -> Path:
    """Where ``dsar config init`` writes by default: ``$XDG_CONFIG_HOME/dsar/dsar.toml``."""
    env = os.environ if env is None else env
    xdg = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(xdg) / "dsar" / "dsar.toml"


# ---------------------------------------------------------------------------------------------- [redaction]
_DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$")
_REDACTION_KEYS = ("enabled", "own_domains", "own_addresses", "staff", "language")


def _redaction(table: Any) -> dict[str, Any]:
    """The ``[redaction]`` table checked (exit 2 naming the key, never a value), lists lower-cased."""
    if not isinstance(table, dict):
        raise ConfigError("config: [redaction] must be a table")
    unknown = sorted(set(table) - set(_REDACTION_KEYS))
    if unknown:
        raise ConfigError(f"config: redaction.{unknown[0]} is not a known setting "
                          f"(known: {', '.join(_REDACTION_KEYS)})")
    out: dict[str, Any] = {}
    if "enabled" in table:
        if not isinstance(table["enabled"], bool):
            raise ConfigError("config: redaction.enabled must be true or false")
        out["enabled"] = table["enabled"]
    for key, what in (("own_domains", "domain names such as \"megasecurity.eu\""),
                      ("own_addresses", "e-mail addresses")):
        if key not in table:
            continue
        items = table[key]
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ConfigError(f"config: redaction.{key} must be a list of {what}")
        cleaned = [i.strip().lower().lstrip("@") if key == "own_domains" else i.strip().lower() for i in items]
        for item in cleaned:
            ok = _DOMAIN.match(item) if key == "own_domains" else (
                "@" in item and _DOMAIN.match(item.rsplit("@", 1)[1]) and item.rsplit("@", 1)[0])
            if not ok:
                raise ConfigError(f"config: redaction.{key} must be a list of {what}; one entry is not")
        out[key] = cleaned
    if "staff" in table:
        if table["staff"] not in ("keep", "pseudonymise"):
            raise ConfigError('config: redaction.staff must be "keep" or "pseudonymise"')
        out["staff"] = table["staff"]
    if "language" in table:
        if table["language"] not in ("nl", "en"):
            raise ConfigError('config: redaction.language must be "nl" or "en"')
        out["language"] = table["language"]
    return out


def _authorities(table: Any) -> dict[str, dict[str, str]]:
    """The default authorities with ``[authorities.XX]`` applied (XX a two-letter country code)."""
    if not isinstance(table, dict):
        raise ConfigError("config: [authorities] must be a table")
    out = {code: dict(values) for code, values in DEFAULT_AUTHORITIES.items()}
    for code, values in table.items():
        if not (isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper()):
            raise ConfigError(f"config: [authorities.{code}] must be named by a two-letter country code (BE, NL)")
        if not isinstance(values, dict) or set(values) - _AUTHORITY_KEYS or \
                not all(isinstance(v, str) for v in values.values()):
            raise ConfigError(f"config: [authorities.{code}] takes text keys {', '.join(sorted(_AUTHORITY_KEYS))}")
        out[code] = {**out.get(code, {}), **values}
        if not (out[code].get("name_nl") or out[code].get("name_en")):
            raise ConfigError(f"config: [authorities.{code}] needs name_nl or name_en")
    return out


def load(path: str | os.PathLike[str] | None, *, env: Mapping[str, str] | None = None) -> Config:
    """Read the file :func:`discover` picks; with none, the defaults with no connector configured."""
    env = os.environ if env is None else env
    file, _ = discover(path, env=env)
    if file is None:
        return from_mapping({}, env=env, source="<defaults>")
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config: file not found: {file}") from None
    except OSError as exc:
        raise ConfigError(f"config: cannot read {file}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config: {file} is not valid TOML: {exc}") from None
    return from_mapping(data, env=env, source=str(file), base_dir=file.parent)
