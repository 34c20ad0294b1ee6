"""What a run is doing, on stderr: on a terminal one line per connector redrawn in place (records so far,
requests, and "waiting for <vendor>'s rate limit until HH:MM:SS" while a wait blocks), cut to the terminal's
width at every redraw so a line never wraps; elsewhere (a log file, a pipe) one plain line per change of state.

The runner calls a progress object as ``progress(connector, records, status, calls=n)``; everything printed
goes through :func:`aggregator.text.printable`, so no vendor text can move the cursor.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from rich.cells import cell_len, set_cell_size

from aggregator.text import printable

UP = "\x1b[{}A"           # cursor up n rows
CLEAR_DOWN = "\x1b[J"     # erase from the cursor to the end of the screen
MIN_INTERVAL = 0.1        # seconds between two redraws for a mere count change


def terminal_width(stream: TextIO) -> int:
    """The width of the terminal behind ``stream`` now (it may have been resized), 80 when unknown."""
    try:
        return max(20, os.get_terminal_size(stream.fileno()).columns)
    except (OSError, ValueError, AttributeError):
        return shutil.get_terminal_size((80, 24)).columns


class _State:
    __slots__ = ("calls", "records", "status")

    def __init__(self) -> None:
        self.records = 0
        self.calls = 0
        self.status = "running"


class Progress:
    """The progress display the CLI gives to :func:`aggregator.api.export` (``live`` on a terminal)."""

    wants_calls = True       # the runner passes ``calls=`` to a progress that says it takes them

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None, enabled: bool = True,
                 width: Callable[[], int] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = self.stream.isatty() if live is None else live
        self._width = width or (lambda: terminal_width(self.stream))
        self._clock = clock
        self._state: dict[str, _State] = {}
        self._lock = threading.RLock()
        self._drawn = 0            # rows of the block now on screen (the cursor ends on its last row)
        try:                       # a Latin-1 terminal cannot print "…"
            "…".encode(getattr(self.stream, "encoding", None) or "utf-8")
            self._ellipsis = "…"
        except (UnicodeEncodeError, LookupError):
            self._ellipsis = "..."
        self._last = 0.0

    # -- the runner's callback
    def __call__(self, name: str, records: int, status: str, calls: int | None = None) -> None:
        """Show that ``name`` has ``records`` so far and is in ``status`` (with its request count, if known)."""
        if not self.enabled:
            return
        with self._lock:
            new = name not in self._state
            state = self._state.setdefault(name, _State())
            changed = new or status != state.status
            state.records, state.status = records, status
            state.calls = state.calls if calls is None else calls
            if self.live:
                now = self._clock()
                if changed or now - self._last >= MIN_INTERVAL:
                    self._last = now
                    self._redraw()
            elif changed:
                self.stream.write(self.line(name, state) + "\n")
                self.stream.flush()

    # -- rendering
    def line(self, name: str, state: _State, width: int = 10**6) -> str:
        """One connector's line within ``width - 1`` cells: ``lightspeed   1853 records   279 requests  complete``,
        else the status first (``silvasoft waiting for … until 14:03:22 · 12 rec, 15 req``), else cut with "…"."""
        full = printable(f"{name:<10} {state.records:>6} records {state.calls:>5} requests  {state.status}")
        if cell_len(full) <= width - 1:
            return full
        text = printable(f"{name:<10} {state.status} · {state.records} rec, {state.calls} req")
        if cell_len(text) <= width - 1:
            return text
        return set_cell_size(text, max(1, width - 1 - len(self._ellipsis))) + self._ellipsis

    def lines(self, width: int) -> list[str]:
        """Every connector's line, each narrower than the terminal (the last column left free: nothing wraps)."""
        return [self.line(name, state, width) for name, state in self._state.items()]

    def _erase(self) -> str:
        """The control sequence that takes the cursor back to the block's first row and clears from there."""
        return "\r" + (UP.format(self._drawn - 1) if self._drawn > 1 else "") + CLEAR_DOWN if self._drawn else ""

    def _redraw(self, before: str = "") -> None:
        """Draw the block again, ``before`` (a log line and its line end) above it, in one write: a terminal
        never shows a frame with the block half drawn."""
        lines = self.lines(self._width())
        head = self._erase()
        self.stream.write(head + before + "\n".join(lines))
        self.stream.flush()
        self._drawn = len(lines)

    def above(self, text: str) -> None:
        """Print ``text`` (a log line) above the block, which is then drawn again below it."""
        with self._lock:
            if self.live and self._drawn:
                self._redraw(before=printable(text) + "\n")
            else:
                self.stream.write(printable(text) + "\n")
            self.stream.flush()

    def done(self) -> None:
        """Draw the final state and leave the cursor below the block."""
        with self._lock:
            if self.enabled and self.live and self._state:
                self._redraw()
                self.stream.write("\n")
                self.stream.flush()
                self._drawn = 0


class LogStream:
    """A file-like object for a logging handler that prints each line above the progress block."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self._buffer = ""

    def write(self, text: str) -> int:
        """Buffer ``text`` and print each complete line above the block."""
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            self.progress.above(line)
        return len(text)

    def flush(self) -> None:
        """Nothing is held back past a line end."""
        return None
