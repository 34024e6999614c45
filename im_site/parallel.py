"""Work split across forked processes, with nothing re-pickled but the results.

With the fork start method a child inherits the whole build (site, theme,
caches) for free; only what it computed travels back through a pipe. One
child per chunk: the parent only collects, so the garbage of the work (and
its memory) ends with the children, and the parent's peak memory is what it
keeps. Where fork is unavailable, or the work is small, everything runs in
this process: the result is the same either way.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import os
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from functools import lru_cache
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


def fork_chunks(work: Callable[[list[T]], Iterable[R]], items: Sequence[T], workers: int) -> Iterator[R]:
    """Everything `work` yields for each contiguous chunk of `items`, chunk by chunk, in order.

    Each chunk runs in a child, which sends each result as soon as it is
    yielded: work that yields in batches keeps neither the child nor the
    parent holding more than a batch in flight. The caller should fold each
    result in before taking the next.
    """
    workers = min(workers, max(1, len(items) // MIN_ITEMS_PER_WORKER))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from work(list(items))
        return
    size = -(-len(items) // workers)
    chunks = [list(items[i:i + size]) for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    release_free_memory()  # children start from the parent's pages: no freed ones among them
    children = []
    for chunk in chunks:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(work, chunk, sender), daemon=True)
        process.start()
        sender.close()
        children.append((process, receiver))
    try:
        yield from _collect(children)
    finally:  # also when stopped early (an error, Ctrl-C): no child outlives the build
        for process, receiver in children:
            if process.exitcode is None:
                process.kill()
                process.join()
            receiver.close()


def _collect(children: list[tuple[Any, Any]]) -> Iterator[Any]:
    """The children's results in chunk order, read from whichever child has sent one.

    Reading only the child whose turn it is would stall the others as soon as
    their pipe is full; results that arrive early wait here for their turn.
    """
    early: list[deque[tuple[str, Any]]] = [deque() for _ in children]
    open_ = {receiver: index for index, (_, receiver) in enumerate(children)}
    turn = 0
    while turn < len(children):
        if open_:
            for receiver in multiprocessing.connection.wait(list(open_)):
                index = open_[receiver]
                process = children[index][0]
                try:
                    status, payload = receiver.recv()
                except EOFError:
                    process.join()
                    raise RuntimeError(f"a build worker died (exit code {process.exitcode})") from None
                if status == "error":
                    raise RuntimeError(f"a build worker failed:\n{payload}")
                early[index].append((status, payload))
                if status == "done":
                    del open_[receiver]
                    process.join()
        while turn < len(children) and early[turn]:
            status, payload = early[turn].popleft()
            if status == "done":
                turn += 1
            else:
                yield payload


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def release_free_memory() -> None:
    """Hand memory the build has freed back to the system (glibc keeps it otherwise).

    A build frees most of what it reads (source texts, cache bytes) while
    keeping what it made; without this, the freed pages stay in the process,
    are counted in its peak, and are copied into every forked child.
    """
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


@lru_cache(maxsize=1)
def _libc() -> Any:
    """The C library when it is glibc (malloc_trim is its own), else None."""
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "gnu_get_libc_version") else None
    except OSError:
        return None


def _child(work: Callable[[list[Any]], Iterable[Any]], chunk: list[Any], sender: Any) -> None:
    try:
        for result in work(chunk):
            sender.send(("item", result))
        sender.send(("done", None))
    except KeyboardInterrupt:
        os._exit(130)
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()
