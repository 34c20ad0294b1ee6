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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aggregator import __version__, logs
from aggregator import config as config_mod
from aggregator import register as register_mod
from aggregator.api import ExportResult, export
from aggregator.errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_PARTIAL, EXIT_UNEXPECTED, DsarError, InputError
from aggregator.http import Redactor
from aggregator.register import TYPES, Register, RequestEntry


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
    e.add_argument("--request-id", help="use this request id; an id already in the register attaches this run to it")
    e.add_argument("--received-at", help="when the request arrived, YYYY-MM-DD[THH:MM] in UTC (default: now)")
    e.add_argument("--type", default="access", choices=TYPES, help="the kind of request (default: access)")
    _register_args(e)
    e.add_argument("--no-register", action="store_true", help="a throw-away run: record nothing, keep no spool")
    e.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    r = sub.add_parser("requests", help="the request register: list, show, extend, deliver, resume, anonymise")
    rs = r.add_subparsers(dest="action", required=True, parser_class=_Parser)
    ls = rs.add_parser("list", help="requests sorted by due date, with the days left")
    group = ls.add_mutually_exclusive_group()
    group.add_argument("--open", action="store_true", help="only requests not yet delivered or anonymised")
    group.add_argument("--overdue", action="store_true", help="only open requests past their deadline")
    group.add_argument("--due-within", type=int, metavar="DAYS", help="only open requests due within DAYS days")
    sh = rs.add_parser("show", help="one request with its connectors, delivery and audit trail")
    sh.add_argument("id")
    ex = rs.add_parser("extend", help="extend the deadline (Art. 12(3)) by 1 or 2 months, with a reason")
    ex.add_argument("id")
    ex.add_argument("--months", type=int, choices=(1, 2), required=True)
    ex.add_argument("--reason", required=True)
    dl = rs.add_parser("deliver", help="record the delivery of the package and print its path")
    dl.add_argument("id")
    dl.add_argument("--to", required=True, metavar="EMAIL")
    dl.add_argument("--verified-by", help="how the recipient's identity was checked (needed for an unknown address)")
    rm = rs.add_parser("resume", help="re-run only the connectors that failed and rebuild the package")
    rm.add_argument("id")
    rm.add_argument("--out", help="directory for the package (default: where the last package was written)")
    an = rs.add_parser("anonymise", help="remove the subject's personal data from the register entry")
    an.add_argument("id")
    for q in (ls, sh, ex, dl, rm, an):
        _register_args(q)
        q.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    c = sub.add_parser("connectors", help="list the registered connectors, their settings, and check the config")
    c.add_argument("--config", metavar="FILE", help="TOML config file (default: $DSAR_CONFIG)")
    c.add_argument("--json", action="store_true", help="one JSON array on stdout")
    c.add_argument("--settings", action="store_true", help="also list every setting each connector takes")

    sv = sub.add_parser("serve", help="run the portal's HTTP API (OpenAPI at /docs)")
    sv.add_argument("--config", help="TOML config file with [service] (default: $DSAR_CONFIG)")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8080)
    sv.add_argument("--sandbox", action="store_true", help="against the bundled sandbox; token from "
                                                           "$DSAR_SERVICE_TOKEN or generated and printed")
    sv.add_argument("--register", metavar="FILE", help="the register file (default as for dsar requests)")
    sv.add_argument("--out", help="directory for the packages (default: [service] out_dir or ./packages)")

    wk = sub.add_parser("worker", help="run an RQ worker for the service's [queue] (queue mode)")
    wk.add_argument("--config", help="TOML config file with [service] and [queue] (default: $DSAR_CONFIG)")
    wk.add_argument("--register", metavar="FILE", help="the register file (default as for dsar requests)")
    wk.add_argument("--burst", action="store_true", help="stop once the queue is empty")

    s = sub.add_parser("sandbox", help="run the sandbox in the foreground and print a ready config")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--write-config", help="also write the config to this file")
    return p


def _register_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--register", metavar="FILE",
                   help="the register file (default: $DSAR_REGISTER, the config's [register] path, or the user data "
                        "directory)")
    if not any(a.dest == "config" for a in p._actions):
        p.add_argument("--config", help="TOML config file (default: $DSAR_CONFIG)")
    p.add_argument("--actor", help="who is acting, for the audit trail (default: $USER)")


def _open_register(args: argparse.Namespace, cfg: config_mod.Config | None = None, create: bool = True) -> Register:
    if cfg is None and (args.register is None and not os.environ.get(register_mod.ENV_VAR)):
        cfg = config_mod.load(args.config)
    return Register.open(register_mod.resolve_path(args.register, cfg.register_path if cfg else None),
                         create=create)


def _received_at(text: str | None) -> datetime | None:
    if text is None:
        return None
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise InputError(f"--received-at must be YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC), not {text!r}")


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
        if not isinstance(config, config_mod.Config):
            config = config_mod.load(config)
        if args.no_register and args.register:
            raise InputError("--no-register and --register exclude each other")
        register = None if args.no_register else _open_register(args, config)
        result = export(args.email, customer_number=args.customer_number, config=config, out_dir=args.out,
                        only=only, request_id=args.request_id, progress=progress,
                        received_at=_received_at(args.received_at), register=register, request_type=args.type,
                        actor=args.actor)
    finally:
        progress.done()
        if sandbox is not None:
            sandbox.stop()
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        _err(_summary(result))
        if register is not None:
            entry = register.get(result.request_id)
            _err(f"\nrequest {entry.id} ({entry.type}) recorded in {register.path}: {entry.status}, due "
                 f"{entry.due_at:%Y-%m-%d} ({entry.days_left()} days left)")
            if entry.failed_connectors():
                _err(f"re-run the failed connector(s) with: dsar requests resume {entry.id} --register "
                     f"{register.path}")
            if entry.is_open:
                _err(f"spooled records: {register.spool_dir(entry.id)} (directories 0700, files 0600; deleted on "
                     "delivery or anonymisation)")
    return EXIT_OK if result.status == "complete" else EXIT_PARTIAL


def _days(entry: RequestEntry) -> str:
    if not entry.is_open:
        return "closed"
    left = entry.days_left()
    return f"OVERDUE {-left}d" if entry.is_overdue() else f"{left}d left"


def _show(entry: RequestEntry, register: Register) -> str:
    customer = f"   customer {entry.customer_number}" if entry.customer_number else ""
    lines = [f"request   {entry.id} ({entry.type})   status: {entry.status}"
             + ("   ANONYMISED" if entry.anonymised_at else ""),
             f"subject   {entry.email or '-'}{customer}",
             f"received  {register_mod.iso(entry.received_at)}   due {register_mod.iso(entry.due_at)}   {_days(entry)}"]
    if entry.extension_months:
        lines.append(f"extended  +{entry.extension_months} month(s): {entry.extension_reason or '-'}")
    if entry.package:
        lines.append(f"package   {entry.package}   sha256 {entry.sha256}")
    if entry.delivered_at:
        lines.append(f"delivered {entry.delivered_at} to {entry.delivered_to or '-'} ({entry.verified_by or '-'})")
    if entry.known_addresses:
        lines.append("known     " + ", ".join(entry.known_addresses))
    if entry.is_open and entry.package:
        lines.append(f"spool     {register.spool_dir(entry.id)} (0700/0600, kept until delivery or anonymisation)")
    lines.append("")
    for name, c in entry.connectors.items():
        lines.append(f"  {name:<12} {c.status:<15} {c.records:>7} records {c.calls:>5} calls  {c.error or ''}")
    lines.append("")
    for e in entry.events:
        lines.append(f"  {e.at}  {e.actor:<12} {e.event:<16} {e.detail or ''}")
    return "\n".join(lines)


def _cmd_requests(args: argparse.Namespace) -> int:
    register = _open_register(args, create=False)     # a typo in --register must not create an empty register
    emit: Any
    if args.action == "list":
        entries = register.list(open_only=args.open, overdue=args.overdue, due_within=args.due_within)
        if args.json:
            print(json.dumps({"register": str(register.path), "requests": [e.summary_json() for e in entries]},
                             ensure_ascii=False))
        else:
            print(f"{'id':<24} {'type':<12} {'status':<12} {'due':<11} {'days':<13} subject")
            for e in entries:
                print(f"{e.id:<24} {e.type:<12} {e.status:<12} {e.due_at:%Y-%m-%d} {_days(e):<13} "
                      f"{e.email or '(anonymised)'}")
            if not entries:
                _err(f"no matching request in {register.path}")
        return EXIT_OK
    if args.action == "resume":
        progress = _Progress(enabled=not args.json and sys.stderr.isatty())
        try:
            result = register.resume(args.id, config=args.config, out_dir=args.out, actor=args.actor,
                                     progress=progress)
        finally:
            progress.done()
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            _err(_summary(result))
        return EXIT_OK if result.status == "complete" else EXIT_PARTIAL
    if args.action == "show":
        emit = register.get(args.id)
    elif args.action == "extend":
        emit = register.extend(args.id, args.months, args.reason, actor=args.actor)
    elif args.action == "deliver":
        emit = register.deliver(args.id, args.to, verified_by=args.verified_by, actor=args.actor)
    else:
        before = register.get(args.id)
        emit = register.anonymise(args.id, actor=args.actor)
        if before.package and before.package.exists() and not args.json:
            _err(f"the package {before.package} still holds the subject's data: delete it once it is no longer "
                 "needed")
    if args.json:
        print(json.dumps(emit.to_json(), ensure_ascii=False))
    elif args.action == "deliver":
        print(emit.package)
        _err(f"delivery to {emit.delivered_to} recorded ({emit.verified_by}); send the package yourself")
        if emit.failed_connectors():
            _err(f"note: the package is partial ({', '.join(emit.failed_connectors())} could not be asked); "
                 "tell the subject, as the package's statement does")
    else:
        print(_show(emit, register))
    return EXIT_OK


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


def _cmd_serve(args: argparse.Namespace) -> int:
    from aggregator.service.run import serve

    return serve(args.config, host=args.host, port=args.port, sandbox=args.sandbox, register=args.register,
                 out=args.out)


def _cmd_worker(args: argparse.Namespace) -> int:
    from aggregator.service.run import worker

    return worker(args.config, register=args.register, burst=args.burst)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("DSAR_DEBUG") == "1"
    logs.configure(logging.WARNING, Redactor())
    try:
        args = _parser().parse_args(argv)
        handler = {"export": _cmd_export, "connectors": _cmd_connectors, "sandbox": _cmd_sandbox,
                   "requests": _cmd_requests, "serve": _cmd_serve, "worker": _cmd_worker}[args.command]
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

