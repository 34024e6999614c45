"""Work split across forked processes, with nothing re-pickled but the results.

With the fork start method a child inherits the whole build (site, theme,
caches) for free; only what it computed travels back through a pipe. The
parent works on the first chunk itself, so `workers=2` uses two cores with
one child. Where fork is unavailable, or the work is small, everything runs
in this process: the result is the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from typing import Any, Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS_PER_WORKER = 40


def default_workers() -> int:
    """One worker per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def fork_chunks(work: Callable[[list[T]], R], items: Sequence[T], workers: int) -> list[R]:
    """[work(chunk) for each chunk] over contiguous chunks, the chunks after the first in children."""
    workers = min(workers, max(1, len(items) // MIN_ITEMS_PER_WORKER))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [work(list(items))]
    size = -(-len(items) // workers)
    chunks = [list(items[i:i + size]) for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    children = []
    for chunk in chunks[1:]:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(work, chunk, sender), daemon=True)
        process.start()
        sender.close()
        children.append((process, receiver))
    results: list[Any] = [work(chunks[0])]
    for process, receiver in children:
        try:
            status, payload = receiver.recv()
        except EOFError:
            process.join()
            raise RuntimeError(f"a build worker died (exit code {process.exitcode})") from None
        process.join()
        if status != "ok":
            raise RuntimeError(f"a build worker failed:\n{payload}")
        results.append(payload)
    return results


def _child(work: Callable[[list[Any]], Any], chunk: list[Any], sender: Any) -> None:
    try:
        sender.send(("ok", work(chunk)))
    except KeyboardInterrupt:
        os._exit(130)
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()
