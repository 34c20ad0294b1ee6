"""The progress display as a terminal shows it (pyte emulates one): one line per connector however many
updates, never wider than the terminal, the rate-limit wait named, plain lines off a terminal."""

from __future__ import annotations

import io

import pyte
import pytest

from aggregator.progress import LogStream, Progress

NAMES = ("lightspeed", "mailchimp", "office365", "paypal", "silvasoft")


class Term(io.StringIO):
    """A stream feeding a pyte screen of ``columns`` x ``rows`` (the width can change: a resize)."""

    def __init__(self, columns: int = 80, rows: int = 24) -> None:
        super().__init__()
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.Stream(self.screen)

    def write(self, text: str) -> int:
        self.stream.feed(text.replace("\n", "\r\n"))    # a tty's onlcr
        return len(text)

    def isatty(self) -> bool:
        return True

    def rows(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display if line.strip()]


def live(term: Term) -> Progress:
    clock = iter(range(10**9))
    return Progress(term, live=True, width=lambda: term.screen.columns, clock=lambda: next(clock))


def test_many_updates_at_80_columns_leave_exactly_one_line_per_connector():
    term = Term(80)
    progress = live(term)
    for step in range(400):
        for i, name in enumerate(NAMES):
            progress(name, step * (i + 1), "running", calls=step * 3)
    progress("silvasoft", 1999, "waiting for Silvasoft (Silvasoft B.V.) accounting's rate limit until 14:03:22",
             calls=1200)
    rows = term.rows()
    assert len(rows) == len(NAMES), rows
    assert [r.split()[0] for r in rows] == list(NAMES)
    assert rows[0].split()[1:5] == ["399", "records", "1197", "requests"]
    assert all(len(r) < 80 for r in rows)
    assert "waiting for Silvasoft" in rows[-1] and rows[-1].endswith("…")   # cut to the width, never wrapped


def test_a_short_wait_message_is_shown_whole_and_then_replaced():
    term = Term(80)
    progress = live(term)
    for name in NAMES:
        progress(name, 0, "running", calls=0)
    progress("silvasoft", 12, "waiting for Silvasoft's rate limit until 14:03:22", calls=15)
    assert any("waiting for Silvasoft's rate limit until 14:03:22" in r for r in term.rows()), term.rows()
    progress("silvasoft", 12, "running", calls=16)
    progress.done()
    rows = term.rows()
    assert len(rows) == len(NAMES) and not any("waiting" in r for r in rows)


def test_a_narrower_terminal_after_a_resize_still_gets_one_line_each():
    term = Term(80)
    progress = live(term)
    for name in NAMES:
        progress(name, 5, "running", calls=1)
    term.screen.resize(24, 40)                      # the user narrows the window (pyte does not reflow)
    term.screen.reset()
    for step in range(50):
        for name in NAMES:
            progress(name, step, "running", calls=step)
    rows = term.rows()
    assert len(rows) == len(NAMES) and all(len(r) < 40 for r in rows), rows


def test_log_lines_go_above_the_block():
    term = Term(80)
    progress = live(term)
    for name in NAMES:
        progress(name, 1, "running", calls=1)
    log = LogStream(progress)
    log.write("INFO dsar.http: silvasoft: HTTP 503 on GET /rest/listrelations/, will retry\n")
    progress("paypal", 9, "running", calls=2)
    rows = term.rows()
    assert rows[0].startswith("INFO dsar.http") and len(rows) == 1 + len(NAMES)


def test_a_log_line_and_the_block_below_it_arrive_in_one_write():
    """Every frame a terminal could show has the whole block: a reader of the pty between two writes once saw a
    log line and no block, or a block without a line."""
    term = Term(80)
    progress = live(term)
    for name in NAMES:
        progress(name, 1, "running", calls=1)
    writes: list[str] = []
    term.write = lambda text: writes.append(text) or len(text)   # type: ignore[method-assign]
    LogStream(progress).write("WARNING dsar.http: mailchimp: HTTP 429, will retry\n")
    [frame] = writes
    assert "HTTP 429" in frame and all(name in frame for name in NAMES)


def test_control_characters_never_reach_the_terminal():
    out = io.StringIO()
    progress = Progress(out, live=False)
    progress("lightspeed", 3, "failed: \x1b]0;pwned\x07 \x1b[2J\x9b31m")
    assert "\x1b" not in out.getvalue() and "\x9b" not in out.getvalue() and "\x07" not in out.getvalue()


def test_plain_lines_off_a_terminal_one_per_change_of_state():
    out = io.StringIO()
    progress = Progress(out, live=False)
    for step in range(100):
        progress("lightspeed", step, "running", calls=step)
    progress("lightspeed", 100, "waiting for Lightspeed eCom's rate limit until 10:00:00", calls=100)
    progress("lightspeed", 100, "running", calls=100)
    progress("lightspeed", 180, "complete", calls=120)
    progress.done()
    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and "\x1b" not in out.getvalue()
    assert lines[-1].split() == ["lightspeed", "180", "records", "120", "requests", "complete"]


@pytest.mark.parametrize("enabled", [False])
def test_disabled_prints_nothing(enabled):
    out = io.StringIO()
    progress = Progress(out, live=True, enabled=enabled)
    progress("lightspeed", 1, "running")
    progress.done()
    assert out.getvalue() == ""


def test_a_real_export_in_an_80_column_pty_shows_one_line_per_connector_and_the_wait(sandbox, tmp_path):
    """End to end: ``dsar export`` on a pseudo-terminal of 80 columns, its output fed to pyte as it comes."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import subprocess
    import sys
    import termios

    from aggregator.sandbox.server import Fault

    names = ["lightspeed", "mailchimp", "silvasoft"]
    config = tmp_path / "dsar.toml"
    config.write_text(sandbox.config_toml(names))
    sandbox.inject(Fault("mailchimp", status=429, headers={"Retry-After": "2"}, times=1))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "DSAR_CONFIG"}
    proc = subprocess.Popen([sys.executable, "-m", "aggregator.cli", "export", "jan.desmet@example.be", "--config",
                             str(config), "--no-register", "--out", str(tmp_path / "o")],
                            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    screen = pyte.Screen(80, 40)
    stream = pyte.ByteStream(screen)
    saw_wait = False
    try:
        def read(wait: float) -> bytes:
            """What the export wrote within ``wait`` seconds (b"": nothing, or it has ended)."""
            if not select.select([master], [], [], wait)[0]:
                return b""
            try:
                return os.read(master, 65536)
            except OSError:
                return b""

        while data := read(60):
            stream.feed(data)
            while more := read(0.05):       # a frame can reach the master in pieces: take all that came before
                stream.feed(more)           # looking at the screen
            rows = [line.rstrip() for line in screen.display if line.strip()]
            cursor_row = screen.display[screen.cursor.y].rstrip()
            frame_drawn = cursor_row.startswith(names[-1]) and screen.cursor.x >= len(cursor_row)
            if frame_drawn and any("waiting for Mailchimp's rate limit until" in r for r in rows):
                saw_wait = True
                block = [r for r in rows if r.split()[0] in names]
                assert len(block) == len(names), rows           # one line each, even while waiting
    finally:
        proc.wait(timeout=60)
        os.close(master)
    assert proc.returncode == 0
    rows = [line.rstrip() for line in screen.display if line.strip()]
    assert [r.split()[0] for r in rows[:3]] == names and all(r.endswith("complete") for r in rows[:3]), rows
    assert not any(r.split()[0] in names and "records" in r for r in rows[3:]), rows   # no stale progress rows
    assert saw_wait
