"""The ``dsar`` command line. Exit codes: 0 complete, 3 partial, 2 bad input or configuration, 1 unexpected.

With ``--json`` exactly one JSON object goes to stdout; everything for people goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aggregator import __version__
from aggregator import config as config_mod
from aggregator.api import ExportResult, export
from aggregator.errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_PARTIAL, EXIT_UNEXPECTED, DsarError, InputError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise InputError(f"usage: {message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dsar", description="Answer a GDPR data-subject access request from the shop's processors.")
    p.add_argument("--version", action="version", version=f"dsar-aggregator {__version__}")
    p.add_argument("--debug", action="store_true", help="print the traceback of an unexpected error")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    e = sub.add_parser("export", help="export everything the processors hold about one e-mail address")
    e.add_argument("email")
    e.add_argument("--customer-number", help="the shop's customer number, if the request names one")
    e.add_argument("--config", help="TOML config file (default: $DSAR_CONFIG)")
    e.add_argument("--out", default="packages", help="directory for the package (default: ./packages)")
    e.add_argument("--json", action="store_true", help="print one JSON object on stdout (machine-readable)")
    e.add_argument("--sandbox", action="store_true", help="start the bundled fixture-backed vendor APIs and use them")
    e.add_argument("--only", help="comma-separated connector names to run (others are listed as skipped)")
    e.add_argument("--request-id", help="use this request id (default: generated)")
    e.add_argument("--language", choices=("nl", "en"),
                   help="language of the pages the customer reads (default: controller.language, else nl)")
    e.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    c = sub.add_parser("connectors", help="list the registered connectors, their settings, and check the config")
    c.add_argument("--config", metavar="FILE", help="TOML config file (default: $DSAR_CONFIG)")
    c.add_argument("--json", action="store_true", help="one JSON array on stdout")
    c.add_argument("--settings", action="store_true", help="also list every setting each connector takes")

    s = sub.add_parser("sandbox", help="run the sandbox in the foreground and print a ready config")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--write-config", help="also write the config to this file")
    return p


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class _Progress:
    """Records per connector on one stderr line (only on a terminal, never with --json)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.state: dict[str, str] = {}
        self.lock = threading.Lock()

    def __call__(self, name: str, records: int, status: str) -> None:
        if not self.enabled:
            return
        with self.lock:
            self.state[name] = f"{name} {records}" + ("" if status == "running" else f" ({status})")
            sys.stderr.write("\r\033[K" + " · ".join(self.state.values()))
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.state:
            sys.stderr.write("\n")


def _summary(result: ExportResult) -> str:
    m = result.manifest
    lines = [f"package: {result.package}", f"status:  {result.status}   sha256: {result.sha256}",
             m["summary"]["statement"], ""]
    lines.append(f"{'connector':<12} {'status':<15} {'records':>7} {'calls':>6}  categories / reason")
    for name, o in result.connectors.items():
        cats = ", ".join(f"{k} {v}" for k, v in sorted(o.categories.items()))
        detail = cats if o.status == "complete" else (o.error or "")
        lines.append(f"{name:<12} {o.status:<15} {o.records:>7} {o.calls:>6}  {detail}")
    return "\n".join(lines)


def _cmd_export(args: argparse.Namespace) -> int:
    only = [x.strip() for x in args.only.split(",") if x.strip()] if args.only else None
    progress = _Progress(enabled=not args.json and sys.stderr.isatty())
    sandbox = None
    config: Any = args.config
    try:
        if args.sandbox:
            from aggregator.sandbox import Sandbox

            sandbox = Sandbox().start()
            config = config_mod.from_mapping(sandbox.config_mapping(), source="<sandbox>")
        result = export(args.email, customer_number=args.customer_number, config=config, out_dir=args.out,
                        only=only, request_id=args.request_id, progress=progress, language=args.language)
    finally:
        progress.done()
        if sandbox is not None:
            sandbox.stop()
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        _err(_summary(result))
    return EXIT_OK if result.status == "complete" else EXIT_PARTIAL


def _cmd_connectors(args: argparse.Namespace) -> int:
    from aggregator.plugins import build_registry, plugin_manager

    cfg = config_mod.load(args.config)
    registry = build_registry(plugin_manager(), cfg.processors)
    rows: list[dict[str, Any]] = []
    for name, cls in registry.connectors.items():
        problem = None
        if name in cfg.connectors:
            try:
                cls.check_settings(cfg.connectors[name])
            except DsarError as exc:
                problem = str(exc)
        rows.append({
            "name": name, "processor": cls.processor, "processor_name": registry.processors[cls.processor].name,
            "categories": list(cls.categories), "configured": name in cfg.connectors, "config_error": problem,
            "datasets": [d.name for d in cls.datasets],
            "settings": [{"name": s.name, "type": s.describe(), "required": s.required, "secret": s.secret,
                          "default": None if s.default is None else str(s.default), "help": s.help}
                         for s in cls.all_settings()],
        })
    unknown = sorted(set(cfg.connectors) - set(registry.connectors))
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            state = "configured" if r["configured"] else "not configured"
            if r["config_error"]:
                state = "config error"
            print(f"{r['name']:<12} {r['processor_name']:<40} {state:<15} {', '.join(r['categories'])}")
            if r["config_error"]:
                print(f"{'':<12} {r['config_error']}")
            if args.settings:
                for st in r["settings"]:
                    need = "required" if st["required"] else f"default {st['default'] or '—'}"
                    secret = ", secret" if st["secret"] else ""
                    print(f"{'':<12} {st['name']:<22} {st['type']} ({need}{secret}): {st['help']}")
    for name in unknown:
        _err(f"dsar: error: config: [connectors.{name}] names no registered connector")
    return EXIT_BAD_INPUT if unknown or any(r["config_error"] for r in rows) else EXIT_OK


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from aggregator.sandbox import Sandbox

    with Sandbox(port=args.port) as sb:
        text = sb.config_toml()
        if args.write_config:
            Path(args.write_config).write_text(text, encoding="utf-8")
        print(f"# sandbox listening on {sb.base_url} (Ctrl-C to stop); config:\n{text}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("DSAR_DEBUG") == "1"
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        args = _parser().parse_args(argv)
        handler = {"export": _cmd_export, "connectors": _cmd_connectors, "sandbox": _cmd_sandbox}[args.command]
        return handler(args)
    except DsarError as exc:
        _err(f"dsar: error: {exc}")
        return exc.exit_code if exc.exit_code != EXIT_OK else EXIT_UNEXPECTED
    except KeyboardInterrupt:
        _err("dsar: interrupted")
        return EXIT_UNEXPECTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, trace only with --debug
        _err(f"dsar: unexpected error: {type(exc).__name__}: {' '.join(str(exc).split())}")
        if debug:
            traceback.print_exc()
        else:
            _err("dsar: run again with --debug for the traceback")
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())

