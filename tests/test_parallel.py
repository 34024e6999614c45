"""Work split across forked processes (im_site/parallel.py): order, failures, and the same site either way."""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest
from conftest import NOW, snapshot_tree
from PIL import Image

from im_site import content, parallel, render
from im_site.build import build
from im_site.config import load_config
from im_site.options import BuildOptions, read_clock
from im_site.output import write_atomic

REPO = Path(__file__).resolve().parent.parent
needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="this platform cannot fork: everything runs in one process")


def _with_pid(batch: list[int]):
    time.sleep(0.01)  # long enough for every child to start and take some
    yield os.getpid(), list(batch)


def _meeting(folder: Path, children: int):
    """Work whose first batch in each child waits until `children` children have each taken one
    (up to 60 s): on a loaded machine a late-starting child found every batch taken already."""
    def work(batch: list[int]):
        mark = folder / str(os.getpid())
        if not mark.exists():
            mark.touch()
            deadline = time.monotonic() + 60
            while len(list(folder.iterdir())) < children and time.monotonic() < deadline:
                time.sleep(0.01)
        yield os.getpid(), list(batch)
    return work


@needs_fork
def test_results_come_in_item_order_from_every_child_batch_by_batch(tmp_path):
    results = list(parallel.fork_batches(_meeting(tmp_path, 3), list(range(300)), workers=3, size=7))
    assert [item for _, batch in results for item in batch] == list(range(300))
    pids = {pid for pid, _ in results}
    assert len(pids) == 3 and os.getpid() not in pids  # the parent only collects
    assert all(len(batch) <= 7 for _, batch in results)


@needs_fork
def test_a_child_with_a_slow_batch_leaves_the_rest_to_the_others():
    """Batches are taken, not dealt: while one child is stuck on an expensive batch, the
    other takes the cheap ones (a contiguous half each would leave it waiting)."""
    def work(batch: list[int]):
        if batch[0] == 0:
            time.sleep(2)
        yield os.getpid(), list(batch)

    results = list(parallel.fork_batches(work, list(range(400)), workers=2, size=10))
    assert [item for _, batch in results for item in batch] == list(range(400))
    slow = results[0][0]
    assert sum(pid == slow for pid, _ in results) < 10  # of 40 batches


@needs_fork
def test_without_shared_semaphores_each_child_takes_every_nth_batch(monkeypatch):
    """Where POSIX semaphores are missing (no /dev/shm), batches are dealt in turn instead."""
    def no_semaphores(*args: object, **kwargs: object) -> None:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(multiprocessing.context.BaseContext, "Value", no_semaphores)
    results = list(parallel.fork_batches(_with_pid, list(range(300)), workers=3, size=7))
    assert [item for _, batch in results for item in batch] == list(range(300))
    pids = [pid for pid, _ in results]
    assert len(set(pids)) == 3 and pids[:3] == pids[3:6]  # dealt round the three children


@needs_fork
def test_a_ctrl_c_reaching_a_child_is_the_parents_to_handle(capfd):
    """A terminal's Ctrl-C goes to the whole process group: a child that was still starting printed
    "Process ForkProcess-6: Traceback ... KeyboardInterrupt". Children ignore it (the parent,
    which gets it too, stops them); here only the children get one, and the work goes on."""
    def work(batch: list[int]):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)
        yield os.getpid(), list(batch)

    results = list(parallel.fork_batches(work, list(range(300)), workers=3, size=7))
    assert [item for _, batch in results for item in batch] == list(range(300))
    assert "Traceback" not in capfd.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the parent's own is untouched
    assert not signal.pthread_sigmask(signal.SIG_BLOCK, set()) & {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def test_small_work_runs_in_this_process():
    results = list(parallel.fork_batches(_with_pid, list(range(10)), workers=4, size=3))
    assert {pid for pid, _ in results} == {os.getpid()}
    assert [item for _, batch in results for item in batch] == list(range(10))


def _fails_on_item_150(batch: list[int]):
    yield batch[:1]
    if 150 in batch:
        raise ValueError("broken item 150")
    yield batch[1:]


@needs_fork
def test_a_failing_child_is_reported_with_its_traceback_and_no_child_is_left():
    with pytest.raises(RuntimeError, match="broken item 150"):
        list(parallel.fork_batches(_fails_on_item_150, list(range(300)), workers=3, size=20))
    assert multiprocessing.active_children() == []


@needs_fork
def test_a_caller_that_stops_early_leaves_no_child():
    results = parallel.fork_batches(_with_pid, list(range(3000)), workers=2, size=10)
    next(results)
    results.close()
    assert multiprocessing.active_children() == []


@needs_fork
def test_a_site_rendered_across_processes_equals_one_rendered_in_one(tmp_path, monkeypatch):
    """Every stage split into children (small batches, taken in turn) gives the same bytes.

    With a full base_url, so that social cards are drawn, and a second message of an existing
    title, whose card is the same file (drawn by each process that renders one of them).
    """
    root = tmp_path / "demo"
    root.mkdir()
    site_yaml = (REPO / "site.yaml").read_text(encoding="utf-8")
    (root / "site.yaml").write_text(re.sub(r"(?m)^base_url: /", "base_url: https://intranet.frischmarkt.example/", site_yaml),
                                    encoding="utf-8")
    for folder in ("content", "themes"):
        shutil.copytree(REPO / folder, root / folder)
    for photo in (root / "content/assets/images").glob("*.jpg"):  # 1000 pixels wide: still three widths each, at a third of the cost
        with Image.open(photo) as image:
            image.resize((1000, round(image.height * 1000 / image.width))).save(photo, "JPEG", quality=85)
    first = sorted((root / "content" / "messages").glob("*.md"))[0]
    shutil.copy(first, first.with_name("zz-" + first.name))
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    monkeypatch.setattr(content, "PARSE_BATCH", 4)
    monkeypatch.setattr(render, "RENDER_BATCH", 3)
    trees = []
    for jobs in (1, 3):
        config = load_config(root / "site.yaml")
        result = build(config, BuildOptions(root / "site.yaml", read_clock(NOW), use_cache=False, jobs=jobs))
        assert result.ok, result.diagnostics.items
        out = tmp_path / f"out-{jobs}"
        write_atomic(result.outputs, out)
        trees.append(snapshot_tree(out))
    assert len(trees[0]) > 60 and trees[0] == trees[1]
    assert sum(path.startswith("social/") for path in trees[0]) > 10


def _collecting(batch: list[int]):
    yield gc.isenabled()


@needs_fork
def test_children_collect_garbage_while_the_parent_holds_collection_off():
    """A build loads its sources with the collector off (build._loading), forking the parsing children
    meanwhile: each child collects its own garbage, or its memory would only grow."""
    gc.disable()
    try:
        assert set(parallel.fork_batches(_collecting, list(range(200)), workers=2, size=10)) == {True}
    finally:
        gc.enable()


def test_a_build_leaves_nothing_frozen_and_the_collector_as_it_was(make_site):
    """What a build freezes while it runs (build._loading) is collectable again once it ends: `serve` and
    the tests build many times in one process."""
    root = make_site({"content/messages/hallo.md": "---\ntitle: Hallo\ndate: 2026-01-05\n---\nText.\n"})
    config = load_config(root / "site.yaml")
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            assert build(config, BuildOptions(root / "site.yaml", read_clock(NOW), use_cache=False, jobs=2)).ok
            assert gc.get_freeze_count() == 0 and gc.isenabled() is enabled
        finally:
            gc.enable()
