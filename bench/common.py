"""Small helpers the benchmarks share: timing, percentiles, tables."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) of `samples`, by nearest rank."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def timed(fn: Callable[[], Any]) -> float:
    """Seconds `fn()` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def latencies(fn: Callable[[int], Any], count: int) -> list[float]:
    """Seconds each of `count` calls `fn(i)` takes."""
    samples = []
    for i in range(count):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return samples


def cpu_latencies(fn: Callable[[int], Any], count: int) -> list[float]:
    """Seconds of this thread's CPU time each of `count` calls `fn(i)` takes (on SQLite the
    database's work included): less sensitive than wall time to other processes on a busy machine."""
    samples = []
    for i in range(count):
        start = time.thread_time()
        fn(i)
        samples.append(time.thread_time() - start)
    return samples


def summary_ms(samples: Sequence[float]) -> str:
    """`p50 … ms, p99 … ms` of samples given in seconds."""
    return f"p50 {percentile(samples, 50) * 1000:.2f} ms, p99 {percentile(samples, 99) * 1000:.2f} ms"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain-text table."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def mean(samples: Sequence[float]) -> float:
    """The arithmetic mean."""
    return statistics.fmean(samples)


def run_queue_wait() -> float:
    """Seconds this process's live threads have spent runnable but waiting for a core (Linux
    `/proc/self/task/*/schedstat`; 0.0 elsewhere). On a shared machine most of a benchmark's wall
    time can be this wait; `wall - wait` is what the run would take with a core to itself (threads
    that already ended are not counted, so the estimate errs towards the slower side)."""
    total = 0
    for path in Path("/proc/self/task").glob("*/schedstat"):
        try:
            total += int(path.read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def thread_run_queue_wait() -> float:
    """Seconds the calling thread has spent runnable but waiting for a core (Linux; 0.0 elsewhere)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0
