"""Work split across forked processes, with nothing re-pickled but the results.

With the fork start method a child inherits the whole build (site, theme,
caches) for free; only what it computed travels back through a pipe. One
child per worker, each taking the next batch of work until none is left:
the parent only collects, so the garbage of the work (and its memory) ends
with the children, and the parent's peak memory is what it keeps. Where
fork is unavailable, or the work is small, everything runs in this process:
the result is the same either way.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import traceback
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


def fork_batches(work: Callable[[Sequence[T]], Iterable[R]], items: Sequence[T], workers: int,
                 size: int, before_fork: Callable[[], None] | None = None) -> Iterator[R]:
    """Everything `work` yields for each batch of `size` consecutive `items`, batch by batch, in order.

    Each child takes the next batch nobody has taken yet, until none is
    left, and sends each result as soon as `work` yields it: a child that
    drew cheap batches (short pages) takes more of them, so the children
    finish together however the cost is spread over the items. Results are
    handed on in the order of the batches, whichever child made them; the
    caller should fold each in before taking the next. `before_fork` runs in this process
    when children are about to be made (to do once what each child would do).
    """
    workers = min(workers, max(1, len(items) // MIN_ITEMS_PER_WORKER))
    batches = list(batched(items, size))
    if workers <= 1 or not _can_fork():
        for batch in batches:
            yield from work(batch)
        return
    # multiprocessing (and ctypes) are imported where a build forks, not when this module is:
    # a rebuild that renders a few pages never does, and the imports cost it about 15 ms.
    import multiprocessing

    if before_fork is not None:
        before_fork()
    context = multiprocessing.get_context("fork")
    try:
        taken = context.Value("q", 0)  # the next batch to take, in memory shared with the children
    except (OSError, ImportError):  # no POSIX semaphores here (no /dev/shm): every workers-th batch each
        taken = None
    release_free_memory()  # children start from the parent's pages: no freed ones among them
    children = []
    try:
        with _stops_held():  # a child is born with them held, and ignores them (_child)
            for number in range(workers):
                receiver, sender = context.Pipe(duplex=False)
                indices = _taken_in_turn(len(batches), taken) if taken is not None else range(number, len(batches), workers)
                process = context.Process(target=_child, args=(work, batches, indices, sender, os.getpid()), daemon=True)
                process.start()
                sender.close()
                children.append((process, receiver))
        yield from _collect(children, len(batches))
    finally:  # also when stopped early (an error, Ctrl-C): no child outlives the build
        for process, receiver in children:
            if process.exitcode is None:
                process.kill()
                process.join()
            receiver.close()


def _collect(children: list[tuple[Any, Any]], count: int) -> Iterator[Any]:
    """The results of `count` batches in batch order, read from whichever child has sent one.

    Reading only the child whose batch is next would stall the others as soon
    as their pipe is full; results that arrive early wait here for their turn.
    """
    import multiprocessing.connection

    results: dict[int, list[Any]] = {}
    finished: set[int] = set()
    open_ = {receiver: process for process, receiver in children}
    turn = 0
    while turn < count:
        if not open_:
            raise RuntimeError(f"the build workers stopped before batch {turn} of {count}")
        for receiver in multiprocessing.connection.wait(list(open_)):
            process = open_[receiver]
            try:
                status, index, payload = receiver.recv()
            except EOFError:
                process.join()
                raise RuntimeError(f"a build worker died (exit code {process.exitcode})") from None
            if status == "error":
                raise RuntimeError(f"a build worker failed:\n{payload}")
            if status == "item":
                results.setdefault(index, []).append(payload)
            elif status == "batch":
                finished.add(index)
            else:
                del open_[receiver]
                process.join()
        while turn in finished:
            yield from results.pop(turn, [])
            turn += 1


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


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
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "gnu_get_libc_version") else None
    except OSError:
        return None


def _taken_in_turn(count: int, taken: Any) -> Iterator[int]:
    """The batches a child takes: the next one nobody has, until none is left (run in the child)."""
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value += 1
        if index >= count:
            return
        yield index


def _die_with(parent: int) -> None:
    """Be killed when the parent is (SIGKILL, a hang-up or termination it does not catch): a child
    left alone would wait forever on its full pipe, holding the lock of the output folder."""
    libc = _libc()
    if libc is not None and hasattr(libc, "prctl"):
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before that
        os._exit(1)


#: Ctrl-C, hang-up and termination: the parent's to handle; it stops its children itself.
_STOPS = {signal.SIGINT, signal.SIGHUP, signal.SIGTERM}


@contextlib.contextmanager
def _stops_held() -> Iterator[None]:
    """Block the stop signals while forking, so that none lands in a child before it ignores them.

    A Ctrl-C to the whole process group (what a terminal sends) reached children still starting
    up and printed "Process ForkProcess-6: Traceback ... KeyboardInterrupt". The parent gets
    a signal that arrived meanwhile as soon as they are unblocked.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _child(work: Callable[[Sequence[Any]], Iterable[Any]], batches: list[Sequence[Any]], indices: Iterable[int],
           sender: Any, parent: int) -> None:
    gc.enable()  # the parent may hold collection off while it loads (build._loading): a child's garbage is its own
    for number in _STOPS:  # the parent kills its children when it stops, and they die with it (_die_with)
        signal.signal(number, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    _die_with(parent)
    try:
        for index in indices:
            for result in work(batches[index]):
                sender.send(("item", index, result))
            sender.send(("batch", index, None))
        sender.send(("done", None, None))
    except KeyboardInterrupt:
        os._exit(130)
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        sender.send(("error", None, traceback.format_exc()))
    finally:
        sender.close()
