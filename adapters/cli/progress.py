"""Progress for long work: a bar with rate and ETA on a terminal, log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

import structlog

log = structlog.get_logger()


class ProgressBar:
    """Call with (done, total); it redraws at most ten times a second."""

    def __init__(self, label: str, *, out: TextIO | None = None, interval: float = 0.1) -> None:
        self.label = label
        self.out = out or sys.stderr
        self.tty = self.out.isatty()
        self.interval = interval if self.tty else 5.0
        self.started = time.monotonic()
        self.last = 0.0
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self.last < self.interval and done < total:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else 0.0
        if self.tty:
            width = 30
            filled = int(width * done / total) if total else width
            bar = "#" * filled + "-" * (width - filled)
            self.out.write(
                f"\r{self.label} [{bar}] {done:,}/{total:,} events  {rate:,.0f}/s  ETA {eta:,.0f}s "
            )
            self.out.flush()
        else:
            log.info(self.label, done=done, total=total, rate=round(rate), eta_s=round(eta, 1))

    def finish(self) -> float:
        """End the bar; return the overall rate in events per second."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        if self.tty and self.last:
            self.out.write("\n")
            self.out.flush()
        return self.done / elapsed
