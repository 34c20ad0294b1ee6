"""The ``dsar`` command line. Exit codes: 0 complete, 3 partial (or a failed check), 2 bad input or configuration,
1 unexpected, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).

With ``--json`` exactly one JSON object goes to stdout; everything for people goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aggregator import __version__, encrypt, logs
from aggregator import config as config_mod
from aggregator import register as register_mod
from aggregator.api import ExportResult, export
from aggregator.errors import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_UNEXPECTED,
    ConfigError,
    DsarError,
    InputError,
)
from aggregator.http import Redactor
from aggregator.progress import LogStream, Progress, terminal_width
from aggregator.register import TYPES, Register, RequestEntry
from aggregator.text import printable

EXIT_INTERRUPTED = 130      # Ctrl-C (128 + SIGINT)
EXIT_TERMINATED = 143       # SIGTERM from systemd or a job queue (128 + SIGTERM)

EXAMPLES = """\
examples:
  dsar config init                       write ~/.config/dsar/dsar.toml
  dsar check                             test every connector's credentials
  dsar export jan.desmet@example.be      answer a request into ./packages
  dsar export jan@example.be --customer-number 10042 --only lightspeed -v
  dsar requests list --open              the open requests with their deadlines
  dsar export --sandbox jan.desmet@example.be --no-register   (a dry run)

environment variables:
  DSAR_CONFIG       the config file when --config is not given
  XDG_CONFIG_HOME   the user's config: $XDG_CONFIG_HOME/dsar/dsar.toml
  DSAR_REGISTER     the request register file when --register is not given
  DSAR_DEBUG=1      print the traceback of an unexpected error (as --debug)
  ${NAME}           any variable the config names (${LIGHTSPEED_API_SECRET})

config file: --config, else $DSAR_CONFIG, else $XDG_CONFIG_HOME/dsar/dsar.toml,
             else /etc/dsar/dsar.toml (see: dsar config path)
exit codes:  0 ok, 1 unexpected error, 2 bad input or config, 3 partial export
             or failed check, 130 Ctrl-C, 143 terminated (SIGTERM)"""


ENCRYPT_HELP = ("write the package as an AES-256 encrypted zip under a new passphrase, printed once on stderr: "
                "send it to the subject by another channel than the package")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise InputError(f"usage: {message}")


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _common() -> argparse.ArgumentParser:
    """-v/-q/--debug, accepted before or after the subcommand."""
    c = argparse.ArgumentParser(add_help=False)
    c.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                   help="-v: retries, waits and pages; -vv: every request line (secrets redacted)")
    c.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                   help="no progress and no summary: errors only")
    c.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="print the traceback of an unexpected error")
    return c


def _sub(sub: Any, name: str, summary: str, examples: str = "") -> argparse.ArgumentParser:
    """A subcommand parser with the common options and, if given, an examples epilog."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=summary, description=summary[:1].upper() + summary[1:] + ".", parents=[_common()],
        formatter_class=_formatter, epilog=f"examples:\n{examples}" if examples else None)
    return parser


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE",
                   help="TOML config file (default: $DSAR_CONFIG, $XDG_CONFIG_HOME/dsar/dsar.toml, "
                        "/etc/dsar/dsar.toml)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dsar", description="Answer a GDPR data-subject access request from the shop's processors.",
                epilog=EXAMPLES, formatter_class=_formatter, parents=[_common()])
    p.set_defaults(verbose=0, quiet=False, debug=False)
    p.add_argument("--version", action="version", version=f"dsar-aggregator {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                           help="dsar COMMAND --help shows a command's options and examples")
    _add_export(sub)
    _add_check(sub)
    _add_requests(sub)
    _add_connectors(sub)
    _add_index(sub)
    _add_serve(sub)
    _add_worker(sub)
    _add_config(sub)
    _add_sandbox(sub)
    _add_completion(sub)
    return p


def _add_export(sub: Any) -> None:
    e = _sub(sub, "export", "export everything the processors hold about one e-mail address",
             "  dsar export jan.desmet@example.be\n"
             "  dsar export jan@example.be --customer-number 10042 --received-at 2026-11-02 --json\n"
             "  dsar export jan@example.be --only silvasoft,paypal --out /srv/dsar/packages -v\n"
             "  dsar export jan@example.be --encrypt      (passphrase on stderr: send it separately)")
    e.add_argument("email", metavar="EMAIL", help="the subject's e-mail address")
    e.add_argument("--customer-number", metavar="NUMBER", help="the shop's customer number, if the request names one")
    _config_arg(e)
    e.add_argument("--out", default="packages", metavar="DIR", help="directory for the package (default: ./packages)")
    e.add_argument("--json", action="store_true", help="print one JSON object on stdout (machine-readable)")
    e.add_argument("--sandbox", action="store_true", help="start the bundled fixture-backed vendor APIs and use them")
    e.add_argument("--only", metavar="NAME[,NAME]",
                   help="comma-separated connector names to run, e.g. lightspeed,paypal (others are listed as skipped)")
    e.add_argument("--request-id", metavar="ID",
                   help="use this request id; an id already in the register attaches this run to it")
    e.add_argument("--received-at", metavar="DATE",
                   help="when the request arrived, YYYY-MM-DD[THH:MM] in UTC (default: now)")
    e.add_argument("--type", default="access", choices=TYPES, metavar="TYPE",
                   help=f"the kind of request: {', '.join(TYPES)} (default: access)")
    _register_args(e)
    e.add_argument("--no-register", action="store_true", help="a throw-away run: record nothing, keep no spool")
    e.add_argument("--language", choices=("nl", "en"), metavar="nl|en",
                   help="language of the pages the customer reads (default: controller.language, else nl)")
    e.add_argument("--encrypt", action="store_true", help=ENCRYPT_HELP)
    e.set_defaults(handler=_cmd_export)


def _add_check(sub: Any) -> None:
    c = _sub(sub, "check", "test each configured connector's credentials with one cheap authenticated call",
             "  dsar check\n  dsar check --config /etc/dsar/dsar.toml --json\n  dsar check --only silvasoft")
    _config_arg(c)
    c.add_argument("--only", metavar="NAME[,NAME]", help="comma-separated connector names to check")
    c.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    c.set_defaults(handler=_cmd_check)


def _add_requests(sub: Any) -> None:
    r = _sub(sub, "requests", "the request register: list, show, extend, deliver, resume, anonymise",
             "  dsar requests list --due-within 7\n  dsar requests show 20261130-3f9a2c1b7e\n"
             "  dsar requests deliver 20261130-3f9a2c1b7e --to jan.desmet@example.be")
    rs = r.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=_Parser,
                          help="dsar requests ACTION --help for its options")
    ls = _sub(rs, "list", "requests sorted by due date, with the days left")
    group = ls.add_mutually_exclusive_group()
    group.add_argument("--open", action="store_true", help="only requests not yet delivered or anonymised")
    group.add_argument("--overdue", action="store_true", help="only open requests past their deadline")
    group.add_argument("--due-within", type=int, metavar="DAYS", help="only open requests due within DAYS days")
    sh = _sub(rs, "show", "one request with its connectors, delivery and audit trail")
    ex = _sub(rs, "extend", "extend the deadline (Art. 12(3)) by 1 or 2 months, with a reason")
    ex.add_argument("--months", type=int, choices=(1, 2), required=True, metavar="N", help="1 or 2")
    ex.add_argument("--reason", required=True, metavar="TEXT", help="why (recorded in the audit trail)")
    dl = _sub(rs, "deliver", "record the delivery of the package and print its path")
    dl.add_argument("--to", required=True, metavar="EMAIL", help="the address the package is sent to")
    dl.add_argument("--verified-by", metavar="TEXT",
                    help="how the recipient's identity was checked (needed for an unknown address)")
    rm = _sub(rs, "resume", "re-run only the connectors that failed and rebuild the package")
    rm.add_argument("--out", metavar="DIR",
                    help="directory for the package (default: where the last package was written)")
    rm.add_argument("--encrypt", action="store_true",
                    help=ENCRYPT_HELP + " (implied when the request's last package was encrypted)")
    rm.add_argument("--language", choices=("nl", "en"), metavar="nl|en",
                    help="language of the rebuilt pages (default: controller.language, else nl)")
    an = _sub(rs, "anonymise", "remove the subject's personal data from the register entry")
    for q in (sh, ex, dl, rm, an):
        q.add_argument("id", metavar="ID", help="the request id (see dsar requests list)")
    for q in (ls, sh, ex, dl, rm, an):
        _register_args(q)
        q.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    r.set_defaults(handler=_cmd_requests)


def _add_connectors(sub: Any) -> None:
    c = _sub(sub, "connectors", "list the registered connectors, their settings, and check the config",
             "  dsar connectors --settings")
    _config_arg(c)
    c.add_argument("--json", action="store_true", help="one JSON array on stdout")
    c.add_argument("--settings", action="store_true", help="also list every setting each connector takes")
    c.set_defaults(handler=_cmd_connectors)


def _add_index(sub: Any) -> None:
    ix = _sub(sub, "index", "bring a connector's invoice index in the register up to date (e.g. nightly)",
              "  dsar index silvasoft\n  dsar index silvasoft --full     # re-read every invoice: finds edits")
    ix.add_argument("connector", metavar="CONNECTOR", help="the connector whose index to refresh (silvasoft)")
    ix.add_argument("--full", action="store_true", help="re-read every invoice (finds edits and deletions)")
    ix.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _register_args(ix)
    ix.set_defaults(handler=_cmd_index)


def _add_serve(sub: Any) -> None:
    sv = _sub(sub, "serve", "run the portal's HTTP API (OpenAPI at /docs)",
              "  dsar serve --config /etc/dsar/dsar.toml --port 8080\n"
              "  dsar serve --sandbox      # try it: token printed")
    _config_arg(sv)
    sv.add_argument("--host", default="127.0.0.1", metavar="HOST", help="address to listen on (default: 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8080, metavar="PORT", help="port to listen on (default: 8080)")
    sv.add_argument("--sandbox", action="store_true", help="against the bundled sandbox; token from "
                                                           "$DSAR_SERVICE_TOKEN or generated and printed")
    sv.add_argument("--register", metavar="FILE", help="the register file (default as for dsar requests)")
    sv.add_argument("--out", metavar="DIR", help="directory for the packages (default: [service] out_dir or "
                                                  "./packages)")
    sv.set_defaults(handler=_cmd_serve)


def _add_worker(sub: Any) -> None:
    wk = _sub(sub, "worker", "run an RQ worker for the service's [queue] (queue mode)",
              "  dsar worker --config /etc/dsar/dsar.toml\n  dsar worker --burst      # stop when the queue is empty")
    _config_arg(wk)
    wk.add_argument("--register", metavar="FILE", help="the register file (default as for dsar requests)")
    wk.add_argument("--burst", action="store_true", help="stop once the queue is empty")
    wk.set_defaults(handler=_cmd_worker)


def _add_config(sub: Any) -> None:
    c = _sub(sub, "config", "find or create the config file",
             "  dsar config path\n  dsar config init\n  dsar config init --path /etc/dsar/dsar.toml")
    cs = c.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=_Parser,
                          help="dsar config ACTION --help for its options")
    pa = _sub(cs, "path", "print the config file in use and why it was chosen")
    _config_arg(pa)
    it = _sub(cs, "init", "write a commented config template with ${VAR} placeholders for every secret")
    it.add_argument("--path", metavar="FILE", help="where to write it (default: $XDG_CONFIG_HOME/dsar/dsar.toml)")
    it.add_argument("--force", action="store_true", help="overwrite an existing file")
    c.set_defaults(handler=_cmd_config)


def _add_sandbox(sub: Any) -> None:
    s = _sub(sub, "sandbox", "run the sandbox in the foreground and print a ready config",
             "  dsar sandbox --port 8443 --write-config /tmp/sandbox.toml")
    s.add_argument("--port", type=int, default=0, metavar="PORT", help="port to listen on (default: any free one)")
    s.add_argument("--write-config", metavar="FILE", help="also write the config to this file")
    s.set_defaults(handler=_cmd_sandbox)


def _add_completion(sub: Any) -> None:
    c = _sub(sub, "completion", "print a shell completion script",
             "  dsar completion bash > /etc/bash_completion.d/dsar\n"
             "  dsar completion zsh > \"${fpath[1]}/_dsar\"      # or: eval \"$(dsar completion zsh)\"")
    c.add_argument("shell", choices=("bash", "zsh"), metavar="SHELL", help="bash or zsh")
    c.set_defaults(handler=_cmd_completion)


def _register_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--register", metavar="FILE",
                   help="the register file (default: $DSAR_REGISTER, the config's [register] path, or the user data "
                        "directory)")
    if not any(a.dest == "config" for a in p._actions):
        _config_arg(p)
    p.add_argument("--actor", metavar="NAME", help="who is acting, for the audit trail (default: $USER)")


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


def _safe(text: object) -> str:
    """Every line of ``text`` without control characters (no escape from anything printed reaches the terminal)."""
    return "\n".join(printable(line) for line in str(text).split("\n"))


def _err(text: str) -> None:
    print(_safe(text), file=sys.stderr, flush=True)


def _out(text: object) -> None:
    print(_safe(text), flush=True)


def _json(obj: Any) -> None:
    """One JSON object on stdout; C1 controls (which json leaves raw with ensure_ascii=False) escaped too."""
    text = json.dumps(obj, ensure_ascii=False)
    print(re.sub(r"[\x7f-\x9f\u2028\u2029]", lambda m: f"\\u{ord(m.group()):04x}", text), flush=True)


_HANDLER: logging.Handler | None = None      # the one log handler (see logs.configure)
_REDACTOR = Redactor()                       # what the log filter redacts with; learns the config's secrets


def _progress(args: argparse.Namespace) -> Progress:
    """The run's progress display: live on a terminal, plain lines otherwise, nothing with --json or -q."""
    progress = Progress(sys.stderr, enabled=not (args.json or args.quiet))
    if progress.enabled and progress.live and isinstance(_HANDLER, logging.StreamHandler):
        _HANDLER.setStream(LogStream(progress))          # log lines go above the block, not through it
    return progress


def _end_progress(progress: Progress) -> None:
    progress.done()
    if isinstance(_HANDLER, logging.StreamHandler) and isinstance(_HANDLER.stream, LogStream):
        _HANDLER.setStream(sys.stderr)


def _learn_secrets(cfg: config_mod.Config) -> None:
    """Let the log filter know every secret of the config before any request is sent."""
    from aggregator.plugins import build_registry, plugin_manager
    from aggregator.runner import secrets_of

    try:
        _REDACTOR.merge(secrets_of(cfg, build_registry(plugin_manager(), cfg.processors)))
    except DsarError:
        pass            # the command itself reports the config problem


def _passphrase(wanted: bool) -> str | None:
    """A new passphrase for --encrypt, known to the log filter from this moment (None without --encrypt)."""
    if not wanted:
        return None
    passphrase = encrypt.new_passphrase()
    _REDACTOR.add(passphrase)
    return passphrase


def _tell_passphrase(passphrase: str | None) -> None:
    """Show the passphrase of an encrypted package, once, on stderr (also with --json and -q)."""
    if passphrase is not None:
        _err(f"passphrase: {passphrase}")
        _err("the package is AES-256 encrypted (open it with 7-Zip, WinZip or Keka); send the passphrase to the "
             "subject by another channel than the package (phone, text message, letter). It is shown only now "
             "and stored nowhere.")


def _summary(result: ExportResult, width: int | None = None) -> str:
    """The human summary, each row wrapped to the terminal's width (80 columns when unknown)."""
    import textwrap

    width = width or terminal_width(sys.stderr)
    m = result.manifest
    lines = [f"package: {result.package}", f"status:  {result.status}", f"sha256:  {result.sha256}",
             *textwrap.wrap(m["summary"]["statement"], width - 1), ""]
    lines.append(f"{'connector':<12} {'status':<14} {'records':>7} {'calls':>6}  categories / reason")
    indent = " " * 44
    for name, o in result.connectors.items():
        room = max(20, width - 1 - len(indent))
        row = f"{name:<12} {o.status:<14} {o.records:>7} {o.calls:>6}  "
        if o.status == "complete":      # "orders 799" never split over two lines
            wrapped = [""]
            for item in (f"{k} {v}" for k, v in sorted(o.categories.items())):
                joined = f"{wrapped[-1]}, {item}" if wrapped[-1] else item
                if len(joined) + 1 > room and wrapped[-1]:
                    wrapped[-1] += ","
                    wrapped.append(item)
                else:
                    wrapped[-1] = joined
        else:
            wrapped = textwrap.wrap(o.error or "", room) or [""]
        lines.append(row + wrapped[0])
        lines += [indent + more for more in wrapped[1:]]
    return "\n".join(lines)


def _cmd_export(args: argparse.Namespace) -> int:
    only = [x.strip() for x in args.only.split(",") if x.strip()] if args.only else None
    progress = _progress(args)
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
        passphrase = _passphrase(args.encrypt)
        result = export(args.email, customer_number=args.customer_number, config=config, out_dir=args.out,
                        only=only, request_id=args.request_id, progress=progress,
                        received_at=_received_at(args.received_at), register=register, request_type=args.type,
                        actor=args.actor, redactor=_REDACTOR, language=args.language,
                        passphrase=passphrase)
    finally:
        _end_progress(progress)
        if sandbox is not None:
            sandbox.stop()
    _tell_passphrase(passphrase)     # first: whatever fails after this, the package is not left unopenable
    if args.json:
        _json(result.to_json())
    elif args.quiet:
        _err(f"{result.status}: {result.package}")
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
    if entry.encrypted:
        lines.append("encrypted yes: AES-256 zip, passphrase sent separately (not stored)")
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
            _json({"register": str(register.path), "requests": [e.summary_json() for e in entries]})
        else:
            _out(f"{'id':<24} {'type':<12} {'status':<12} {'due':<11} {'days':<13} subject")
            for e in entries:
                _out(f"{e.id:<24} {e.type:<12} {e.status:<12} {e.due_at:%Y-%m-%d} {_days(e):<13} "
                      f"{e.email or '(anonymised)'}")
            if not entries:
                _err(f"no matching request in {register.path}")
        return EXIT_OK
    if args.action == "resume":
        _learn_secrets(config_mod.load(args.config))
        sealed = register.get(args.id).encrypted and not args.encrypt
        passphrase = _passphrase(args.encrypt or sealed)
        progress = _progress(args)
        try:
            result = register.resume(args.id, config=args.config, out_dir=args.out, actor=args.actor,
                                     progress=progress, passphrase=passphrase, language=args.language)
        finally:
            _end_progress(progress)
        _tell_passphrase(passphrase)     # first: whatever fails after this, the package is not left unopenable
        if args.json:
            _json(result.to_json())
        else:
            _err(_summary(result))
        if sealed:
            _err("the request's last package was encrypted, so this one is too, under a NEW passphrase")
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
        _json(emit.to_json())
    elif args.action == "deliver":
        _out(emit.package)
        _err(f"delivery to {emit.delivered_to} recorded ({emit.verified_by}); send the package yourself")
        if emit.failed_connectors():
            _err(f"note: the package is partial ({', '.join(emit.failed_connectors())} could not be asked); "
                 "tell the subject, as the package's statement does")
    else:
        _out(_show(emit, register))
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
        _json(rows)
    else:
        for r in rows:
            state = "configured" if r["configured"] else "not configured"
            if r["config_error"]:
                state = "config error"
            _out(f"{r['name']:<12} {r['processor_name']:<40} {state:<15} {', '.join(r['categories'])}")
            if r["config_error"]:
                _out(f"{'':<12} {r['config_error']}")
            if args.settings:
                for st in r["settings"]:
                    need = "required" if st["required"] else f"default {st['default'] or '—'}"
                    secret = ", secret" if st["secret"] else ""
                    _out(f"{'':<12} {st['name']:<22} {st['type']} ({need}{secret}): {st['help']}")
    for name in unknown:
        _err(f"dsar: error: config: [connectors.{name}] names no registered connector")
    return EXIT_BAD_INPUT if unknown or any(r["config_error"] for r in rows) else EXIT_OK


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from aggregator.interrupts import wait_forever
    from aggregator.sandbox import Sandbox

    with Sandbox(port=args.port) as sb:
        text = sb.config_toml()
        if args.write_config:
            Path(args.write_config).write_text(text, encoding="utf-8")
        _out(f"# sandbox listening on {sb.base_url} (Ctrl-C to stop); config:\n{text}")
        try:
            wait_forever()
        except KeyboardInterrupt:
            pass
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from aggregator.check import OK, check_access, to_json
    from aggregator.plugins import build_registry, plugin_manager

    cfg = config_mod.load(args.config)
    _learn_secrets(cfg)
    registry = build_registry(plugin_manager(), cfg.processors)
    only = [x.strip() for x in args.only.split(",") if x.strip()] if args.only else None
    unknown = sorted(set(only or ()) - set(registry.connectors))
    if unknown:
        raise InputError(f"unknown connector(s): {', '.join(unknown)} (known: {', '.join(registry.connectors)})")
    reports = check_access(cfg, registry, only=only, redactor=_REDACTOR)
    if args.json:
        _json({"config": cfg.source, **to_json(reports)})
    else:
        _err(f"config: {cfg.source}")
        fancy = _encodable("✓✗", sys.stdout)
        for r in reports:
            mark = ("✓" if fancy else "+") if r.state == OK else "-" if r.ok else ("✗" if fancy else "x")
            _out(f"{mark} {r.connector:<11} {r.state:<18} {r.detail}")
    return EXIT_OK if all(r.ok for r in reports) else EXIT_PARTIAL


def _encodable(text: str, stream: Any) -> bool:
    """Whether ``stream``'s encoding can print ``text`` (a Latin-1 terminal cannot print ✓)."""
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _cmd_serve(args: argparse.Namespace) -> int:
    from aggregator.service.run import serve

    return serve(args.config, host=args.host, port=args.port, sandbox=args.sandbox, register=args.register,
                 out=args.out)


def _cmd_worker(args: argparse.Namespace) -> int:
    from aggregator.service.run import worker

    return worker(args.config, register=args.register, burst=args.burst)


def _cmd_index(args: argparse.Namespace) -> int:
    """``dsar index CONNECTOR [--full]``: exit 0 when the index is up to date, 3 when the refresh stopped early."""
    from aggregator.invoice_index import refresh

    cfg = config_mod.load(args.config)
    _learn_secrets(cfg)
    progress = _progress(args)
    try:
        result = refresh(args.connector, cfg, _open_register(args, cfg), full=args.full, progress=progress)
    finally:
        _end_progress(progress)
    if args.json:
        _json(result.to_json())
    else:
        _err(f"{result.connector}: {result.status}, {result.indexed} invoices indexed, {result.calls} requests")
        for line in result.shortfalls + result.notes:
            _err(f"  {line}")
    return EXIT_OK if result.status == "complete" else EXIT_PARTIAL


def _cmd_config(args: argparse.Namespace) -> int:
    if args.action == "path":
        file, why = config_mod.discover(args.config)
        if file is None:
            raise ConfigError(f"config: no config file ({why}); create one with: dsar config init")
        if not file.is_file():
            raise ConfigError(f"config: file not found: {file} (from {why})")
        _out(file)
        _err(f"(from {why})")
        return EXIT_OK
    from aggregator.config_template import template
    from aggregator.plugins import build_registry, plugin_manager

    target = Path(args.path) if args.path else config_mod.user_path()
    if target.exists() and not args.force:
        raise InputError(f"{target} exists; use --force to overwrite it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(template(build_registry(plugin_manager())))
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}") from None
    _out(target)
    _err("edit it, set the environment variables it names (or replace the ${...} placeholders), then: dsar check")
    return EXIT_OK


def _cmd_completion(args: argparse.Namespace) -> int:
    from aggregator.completion import script

    _out(script(_parser(), args.shell))
    return EXIT_OK


class Terminated(KeyboardInterrupt):
    """SIGTERM (systemd, a job queue): stops the run exactly as Ctrl-C does."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _log_level(args: argparse.Namespace) -> int:
    if args.quiet:
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dsar`` command line with ``argv`` (default: ``sys.argv[1:]``) and return its exit code."""
    global _HANDLER, _REDACTOR
    argv = list(sys.argv[1:] if argv is None else argv)
    _REDACTOR = Redactor()          # one per invocation: it learns this run's secrets and tokens
    debug = "--debug" in argv or os.environ.get("DSAR_DEBUG") == "1"
    _HANDLER = logs.configure(logging.WARNING, _REDACTOR)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        parser = _parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_OK
        _HANDLER.setLevel(_log_level(args))
        logging.getLogger().setLevel(_log_level(args))
        handler: Any = args.handler
        code: int = handler(args)
        return code
    except DsarError as exc:
        _err(f"dsar: error: {exc}")
        return exc.exit_code if exc.exit_code != EXIT_OK else EXIT_UNEXPECTED
    except Terminated:
        _err("dsar: terminated")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        _err("dsar: interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, trace only with --debug
        _err(f"dsar: unexpected error: {type(exc).__name__}: {' '.join(_REDACTOR(exc).split())}")
        if debug:
            traceback.print_exc()
        else:
            _err("dsar: run again with --debug for the traceback")
        return EXIT_UNEXPECTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
