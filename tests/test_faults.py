"""Faults while writing: Ctrl-C at random moments, a crash in the writer, a full disk, a
destination that cannot be written, two builds or publishes at once. After each the
previous output is byte-identical, no staging folder is left, and the message is clear."""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import pytest
from conftest import BASIC_SITE_YAML, NOW, build_site, snapshot_tree

SMALL = {"content/messages/gut.md": "---\ntitle: Gute Nachricht\ndate: 2026-01-05\n---\nText.\n",
         "content/ueber.md": "---\ntitle: Über uns\n---\nWir.\n"}
BIG_PAGES = 300  # a build of about a second on 2 cores: long enough for signals to land mid-way
#: For the tests that must catch a build or publish still running (a second one beside it, its
#: workers): with 300 pages a fast run finished first now and then, and the test skipped.
RUNNING_PAGES = 450

def console_script() -> str:
    """The `im-site` command as pyproject.toml declares it (`module:function`), as Python code."""
    import tomllib
    target = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())[
        "project"]["scripts"]["im-site"]
    module, function = target.split(":")
    return f"from {module} import {function}; {function}()"


#: The real `im-site` command, as a process (its first lines, start.py, included).
IM_SITE = [sys.executable, "-c", console_script()]


def cli(root: Path, *args: str, **kwargs) -> subprocess.Popen:
    """`im-site` as a real process in its own session (so a signal can reach its whole group)."""
    return subprocess.Popen([*IM_SITE, "--config", str(root / "site.yaml"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root,
                            start_new_session=True, **kwargs)


def leftovers(folder: Path, name: str = "_site") -> list[str]:
    """Staging folders beside the output (a `.old-*` being deleted in the background is fine)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}.staging-"))


def wait_for_old_trees(folder: Path, name: str = "_site", timeout: float = 30) -> None:
    """remove_later deletes a replaced tree in a detached process; give it time to finish."""
    deadline = time.monotonic() + timeout
    while any(p.name.startswith(f".{name}.old-") for p in folder.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> Path:
    """A site that takes a second or two to build, so that signals land mid-way."""
    root = tmp_path_factory.mktemp("big") / "site"
    (root / "content/messages").mkdir(parents=True)
    (root / "site.yaml").write_text(BASIC_SITE_YAML)
    _add_messages(root, range(BIG_PAGES))
    return root


@pytest.fixture(scope="module")
def big_site_published(big_site: Path, tmp_path_factory) -> Path:
    """A publish folder holding `big_site` as version a (once per test process: each test that needs
    it copies it; a publish of the big site takes seconds)."""
    root = copy_site(big_site, tmp_path_factory.mktemp("big-published"))
    dest = root.parent / "public"
    assert cli(root, "publish", "--dest", str(dest), "--version", "a", "--now", NOW).wait(timeout=120) == 0
    return dest


def _add_messages(root: Path, numbers: range) -> None:
    body = "## Abschnitt\n\nText mit *Betonung* und [einem Link](m0000.md).\n\n" * 8
    for number in numbers:
        (root / f"content/messages/m{number:04}.md").write_text(
            f"---\ntitle: Nachricht {number}\ndate: 2026-01-{number % 28 + 1:02}\ntags: [t{number % 7}]\n---\n{body}")


def copy_site(big_site: Path, tmp_path: Path, pages: int = BIG_PAGES) -> Path:
    root = tmp_path / "site"
    shutil.copytree(big_site, root, ignore=shutil.ignore_patterns("_site", ".*"))
    _add_messages(root, range(BIG_PAGES, pages))
    return root


# ---------------------------------------------------------------- Ctrl-C

@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_ctrl_c_at_random_moments_leaves_the_previous_output(big_site, tmp_path, cache):
    """cold: every build renders all pages and swaps the whole folder in; warm: each build follows
    an edit, reuses the cache and updates the folder in place. Either way an interrupted build
    leaves the previous output, a finished one the new output, never a mix."""
    root = copy_site(big_site, tmp_path)
    started = time.monotonic()
    first = cli(root, "build", "--now", NOW)
    assert first.wait(timeout=120) == 0, first.stderr.read()
    duration = time.monotonic() - started  # one cold build, start-up included
    edited = root / "content/messages/m0001.md"
    original = edited.read_text()
    references: dict[int, dict[str, bytes]] = {}

    def prepare(previous: dict[str, bytes] | None) -> dict[str, bytes] | None:
        """Set up the next build; return what a finished build must produce (None: the same as before).
        warm: one of two edits, whichever the output does not hold yet (so that a finished build and
        an interrupted one differ), each one's reference built once (a build of 300 pages apiece)."""
        if cache == "cold":
            shutil.rmtree(root / ".im-site-cache", ignore_errors=True)
            return None
        number = next(n for n in (1, 2) if n not in references or references[n] != previous)
        edited.write_text(original + f"\nNachtrag {number}.\n")
        if number not in references:
            reference = cli(root, "build", "--now", NOW, "-o", str(tmp_path / f"reference-{number}"))
            assert reference.wait(timeout=120) == 0, reference.stderr.read()
            references[number] = snapshot_tree(tmp_path / f"reference-{number}")
        return references[number]

    if cache == "warm":  # the cold build above timed the cold ones
        prepare(None)
        started = time.monotonic()
        timed = cli(root, "build", "--now", NOW)
        assert timed.wait(timeout=120) == 0, timed.stderr.read()
        duration = time.monotonic() - started  # one build of this kind, start-up included
    before = snapshot_tree(root / "_site")
    outcomes: list[int] = []

    def interrupt(delay: float) -> int:
        """Build, press Ctrl-C after `delay` seconds, check the output folder; the exit code."""
        nonlocal before
        expected = prepare(before) or before
        process = cli(root, "build", "--now", NOW)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)  # what a terminal does: the whole foreground group
        _, stderr = process.communicate(timeout=120)
        # A Ctrl-C while click reads the arguments: click ends the terminal's "^C" with a blank line.
        outcomes.append(process.returncode if process.returncode != 130 or stderr.strip() else "loading")
        # -SIGINT, or Python's own "Fatal Python error: init_import_site" (or init_sys_streams, ...): stopped while Python was
        # starting or importing, before the CLI (or any byte) existed
        starting = process.returncode == -signal.SIGINT or (
            process.returncode == 1 and python_starting(stderr))
        assert process.returncode in (0, 130) or starting, (delay, stderr)
        if not starting:
            assert "Traceback" not in stderr and "internal error" not in stderr, stderr
        if process.returncode == 130 and stderr.strip():  # quiet: stopped while the command was still loading
            assert "interrupted; the previous output is untouched" in stderr
        wait_for_old_trees(root)
        assert leftovers(root) == []
        after = snapshot_tree(root / "_site")
        if process.returncode == -signal.SIGINT:  # Python stopped by the signal itself: during start-up,
            assert after in (before, expected), delay  # or while exiting after a finished build
        else:
            assert after == (expected if process.returncode == 0 else before), (delay, process.returncode)
        before = after
        return process.returncode

    chance = random.Random(20261126)
    for delay in [0.0, *sorted(chance.uniform(0.05, duration * 1.1) for _ in range(2))]:
        interrupt(delay)
    # The random moments may all miss the build itself when the machine's load changed after
    # `duration` was timed (other tests running beside this one): then home in on it.
    sooner, later = 0.05, duration * 1.1
    while 130 not in outcomes and len(outcomes) < 20:
        delay = (sooner + later) / 2
        if interrupt(delay) == 0:
            later = delay  # the build had finished: press sooner
        else:
            sooner = delay  # Python was still starting: press later
    assert 130 in outcomes, (duration, outcomes)


#: Ctrl-C (to this process, as a terminal sends it) at the moment `name` is first imported.
CTRL_C_AT_IMPORT = """
import os, signal, sys
class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == {name!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, CtrlC())
"""


@pytest.mark.parametrize("name", ["click", "pydantic", "jinja2", "im_site.cli"])
def test_ctrl_c_while_the_command_is_still_importing_ends_it_quietly(make_site, name):
    """A Ctrl-C in the first few tenths of a second, while Python imports click, pydantic and
    the rest, printed a KeyboardInterrupt traceback: it ends the command with 130, quietly."""
    root = make_site(SMALL)
    code = CTRL_C_AT_IMPORT.format(name=name) + console_script()
    process = subprocess.run([sys.executable, "-c", code, "build", "--now", NOW], cwd=root,
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 130, process.stderr
    assert "Traceback" not in process.stderr and "Exception ignored" not in process.stderr, process.stderr
    assert not (root / "_site").exists()


@pytest.mark.parametrize("args", [["check", "--hashes"], ["check", "--format", "json"], ["new", "message", "Hallo"]])
def test_a_reader_that_closes_the_pipe_is_no_internal_error(make_site, args):
    """`im-site check | head -3`: once head had its lines, im-site said "error: internal error:
    BrokenPipeError". It ends quietly (exit 1, as Python does), like click's own --help."""
    root = make_site(SMALL)
    process = subprocess.Popen([*IM_SITE, *args, "--now", NOW], cwd=root, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # the reader is gone before the first line
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 1, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr and "Exception ignored" not in stderr, stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["check", "--now", NOW], ["check", "--format", "json", "--now", NOW],
                                  ["new", "message", "Hallo"], ["--version"], ["check", "--help"]])
def test_output_that_cannot_be_written_is_said_plainly(make_site, args):
    """`im-site check > /dev/full` said "error: internal error: OSError: [Errno 28] No space left
    on device", and `--help` there printed a traceback: it is where the output goes that failed."""
    root = make_site(SMALL)
    with open("/dev/full", "w") as full:
        process = subprocess.run([*IM_SITE, *args], cwd=root, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert process.returncode == 1, process.stderr
    assert process.stderr.strip() == "Error: cannot write the output: No space left on device", process.stderr
    # `new` said it failed (exit 1) but had written the page, which the next `new` refused as existing.
    assert not (root / "content/messages/hallo.md").exists()


#: A site.yaml that takes long to read: says "reading" on stderr, then waits.
SLOW_CONFIG = """
import sys, time
import im_site.cli
real = im_site.cli.load_config
def load_config(path):
    print("reading", file=sys.stderr, flush=True)
    time.sleep(20)
    return real(path)
im_site.cli.load_config = load_config
"""


@pytest.mark.parametrize("args,code,said", [(["serve", "--port", "0"], 0, "stopped"), (["check"], 130, "interrupted")])
def test_a_command_that_writes_nothing_stopped_while_starting_promises_no_output(make_site, args, code, said):
    """A `kill` while `serve` or `check` read site.yaml said "interrupted; the previous output is
    untouched", though neither has an output: serve says it stopped (as on Ctrl-C once serving)."""
    root = make_site(SMALL)
    process = subprocess.Popen([sys.executable, "-c", SLOW_CONFIG + console_script(), *args, "--now", NOW], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr.readline() == "reading\n"
    process.send_signal(signal.SIGTERM)
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == code, stderr
    assert stderr.strip() == said, stderr


#: Ctrl-C (to this process) while click reads the arguments of the `build` command.
CTRL_C_WHILE_PARSING = """
import os, signal
import click.core
real = click.core.Command.parse_args
def parse_args(self, ctx, args):
    if self.name == "build":
        os.kill(os.getpid(), signal.SIGINT)
    return real(self, ctx, args)
click.core.Command.parse_args = parse_args
"""


def test_ctrl_c_while_click_reads_the_arguments_is_an_interruption(make_site):
    """Between the start and the command itself click reads the arguments: a Ctrl-C there printed
    click's "Aborted!" and exited 1, as if something had failed (the flaky moment of
    test_ctrl_c_right_after_start_never_prints_a_traceback)."""
    root = make_site(SMALL)
    process = subprocess.run([sys.executable, "-c", CTRL_C_WHILE_PARSING + console_script(), "build", "--now", NOW],
                             cwd=root, capture_output=True, text=True, timeout=120)
    assert process.returncode == 130, process.stderr
    assert "Aborted" not in process.stderr and "Traceback" not in process.stderr, process.stderr
    assert not (root / "_site").exists()


def test_ctrl_c_wrapped_in_another_error_is_still_an_interruption(make_site, monkeypatch):
    """Ctrl-C while a module imported mid-build makes a class surfaces (Python 3.11) as "RuntimeError:
    Error calling __set_name__", caused by the KeyboardInterrupt: it was reported as an internal error."""
    import im_site.write

    class Field:
        def __set_name__(self, owner: type, name: str) -> None:
            raise KeyboardInterrupt

    def build(*args, **kwargs):
        type("FeedEntry", (), {"ctx": Field()})
    monkeypatch.setattr(im_site.write, "build", build)
    root = make_site(SMALL)
    result = build_site(root)
    assert result.exit_code == 130, result.stderr
    assert "interrupted; the previous output is untouched" in result.stderr
    assert "internal error" not in result.stderr


#: Folders of what the command imports; a traceback through them was a Ctrl-C the command let through.
OUR_IMPORTS = ("im_site/", "/click/", "/pydantic/", "/pydantic_core/", "/jinja2/", "/markdown_it/", "/yaml/")


def python_starting(stderr: str) -> bool:
    """Whether Python itself reported the Ctrl-C, stopped while initialising (its site module,
    `init_import_site`, or its standard streams, `init_sys_streams`), before any line of ours ran."""
    return re.search(r"Fatal Python error: init_\w+", stderr) is not None


def test_ctrl_c_right_after_start_never_prints_a_traceback(make_site):
    """Ctrl-C at moments spread over the start of the real command: quiet every time. Only a
    Ctrl-C while Python itself starts, before the command's first line, is Python's to report."""
    root = make_site(SMALL)
    command = [*IM_SITE, "build", "--now", NOW]
    for step in range(12):
        process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
        time.sleep(step * 0.03)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
        starting = python_starting(stderr)
        assert process.returncode in (0, 130, -signal.SIGINT) or starting, (step, stderr)
        ours = any(folder in stderr for folder in OUR_IMPORTS)
        assert starting or not ours, (step, stderr)


# ---------------------------------------------------------------- the writer fails

FAILURES = [
    (OSError(28, "No space left on device"), 1, "error[IM050]: cannot write the site: No space left on device"),
    (RuntimeError("boom"), 1, "internal error: RuntimeError: boom"),
    (KeyboardInterrupt(), 130, "interrupted"),
]


@pytest.mark.parametrize("error,exit_code,words", FAILURES)
def test_writer_failing_midway_leaves_the_previous_output(make_site, monkeypatch, error, exit_code, words):
    """The whole-folder write (no cache record of the old output: it is staged and swapped)."""
    from im_site import output

    root = _built_then_edited(make_site)
    shutil.rmtree(root / ".im-site-cache")
    real = output.write_tree

    def failing(outputs, folder):
        paths = outputs.sorted_paths()
        half = output.OutputSet()
        for path in paths[: len(paths) // 2]:
            half.add(path, outputs.files[path], "test", None)
        real(half, folder)
        assert any(folder.rglob("*.html"))  # really mid-way: some files are on disk
        raise error
    monkeypatch.setattr(output, "write_tree", failing)
    _assert_failed_cleanly(root, exit_code, words)


def _built_then_edited(make_site) -> Path:
    """A small site built once, then given a new page: the next build has files to write."""
    root = make_site(SMALL)
    assert build_site(root).exit_code == 0
    (root / "content/neu.md").write_text("---\ntitle: Neu\n---\nNeu.\n")
    return root


def _assert_failed_cleanly(root: Path, exit_code: int, words: str) -> None:
    before = snapshot_tree(root / "_site")
    try:
        result = build_site(root)
        code = result.exit_code
        stderr = result.stderr
    except SystemExit as exc:  # pragma: no cover - click re-raises in some versions
        code, stderr = exc.code, ""
    assert code == exit_code
    assert words in stderr
    assert snapshot_tree(root / "_site") == before
    assert leftovers(root) == []


@pytest.mark.parametrize("error,exit_code,words", FAILURES)
def test_in_place_update_failing_midway_leaves_the_previous_output(make_site, monkeypatch, error, exit_code, words):
    """The in-place update (the cache recorded the old output): fails after writing half its new files."""
    from im_site import update

    root = _built_then_edited(make_site)
    before = snapshot_tree(root / "_site")
    opened = []

    def failing(path, mode="r", *args, **kwargs):
        opened.append(path)
        if len(opened) == 3:
            assert len(list((root / "_site").rglob("*.im-site-new"))) == 2  # really mid-way
            raise error
        return open(path, mode, *args, **kwargs)
    monkeypatch.setattr(update, "open", failing, raising=False)
    _assert_failed_cleanly(root, exit_code, words)
    assert len(opened) == 3  # the in-place path ran, and failed where meant
    monkeypatch.undo()
    assert snapshot_tree(root / "_site") == before
    assert build_site(root).exit_code == 0  # and the next build still updates the folder


def test_in_place_rename_failing_puts_the_old_files_back(make_site, monkeypatch):
    from im_site import update

    root = make_site(SMALL)
    assert build_site(root).exit_code == 0
    before = snapshot_tree(root / "_site")
    (root / "content/ueber.md").write_text("---\ntitle: Über uns\n---\nWir sind viele.\n")
    (root / "content/neu.md").write_text("---\ntitle: Neu\n---\nNeu.\n")
    real, calls = os.replace, []

    def replace(source, target):
        calls.append((source, target))
        if len(calls) == 3:  # two files renamed into place already
            raise OSError(5, "Input/output error", str(target))
        return real(source, target)
    monkeypatch.setattr(update.os, "replace", replace)
    result = build_site(root)
    monkeypatch.undo()
    assert len(calls) >= 3
    assert result.exit_code == 1 and "error[IM050]: cannot write the site" in result.stderr
    assert snapshot_tree(root / "_site") == before
    assert build_site(root).exit_code == 0
    assert b"Wir sind viele" in (root / "_site/ueber/index.html").read_bytes()


def test_swap_failing_puts_the_old_output_back(make_site, monkeypatch):
    from im_site import output

    root = make_site(SMALL)
    assert build_site(root).exit_code == 0
    before = snapshot_tree(root / "_site")
    (root / "content/neu.md").write_text("---\ntitle: Neu\n---\nNeu.\n")
    real, calls = os.replace, []

    def replace(source, target):
        calls.append((source, target))
        if len(calls) == 2:  # old output moved aside; now moving the new one in fails
            raise OSError(5, "Input/output error", str(target))
        return real(source, target)
    monkeypatch.setattr(output.os, "replace", replace)
    result = build_site(root)
    monkeypatch.undo()
    assert result.exit_code == 1 and "error[IM050]: cannot write the site" in result.stderr
    assert snapshot_tree(root / "_site") == before
    assert leftovers(root) == [] and not any(p.name.startswith("._site.old-") for p in root.iterdir())


# ---------------------------------------------------------------- full disk, unwritable destination

def _mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    if not shutil.which("mount") or os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, check=False)
    return done.returncode == 0


def _unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def test_full_disk_tmpfs(make_site, tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "2m"):
        pytest.skip("cannot mount a tmpfs here (needs root and mount permission); see the RLIMIT_FSIZE test")
    try:
        root = make_site(SMALL)
        target = disk / "out"
        assert build_site(root, "-o", str(target)).exit_code == 0
        before = snapshot_tree(target)
        (root / "content/gross.bin").write_bytes(os.urandom(3_000_000))  # under the 5 MB limit, over the disk
        (root / "content/ueber.md").write_text("---\ntitle: Über uns\n---\n[Daten](gross.bin)\n")
        result = build_site(root, "-o", str(target))
        assert result.exit_code == 1
        assert "error[IM050]: cannot write the site: No space left on device" in result.stderr
        assert snapshot_tree(target) == before
        assert leftovers(disk, "out") == []
    finally:
        _unmount(disk)


def test_full_disk_file_size_limit(make_site, tmp_path):
    """Where no tmpfs can be mounted: RLIMIT_FSIZE makes writes past 1 MB fail with EFBIG."""
    root = make_site(SMALL)
    assert build_site(root).exit_code == 0
    before = snapshot_tree(root / "_site")
    (root / "content/gross.bin").write_bytes(os.urandom(2_000_000))
    (root / "content/ueber.md").write_text("---\ntitle: Über uns\n---\n[Daten](gross.bin)\n")

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills instead of failing write()
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
    process = cli(root, "build", "--now", NOW, preexec_fn=limit)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stderr
    assert "error[IM050]: cannot write the site: File too large" in stderr
    assert "Traceback" not in stderr
    assert snapshot_tree(root / "_site") == before
    assert leftovers(root) == []


def _read_only(folder: Path) -> str | None:
    """Make `folder` unwritable even for root; the undo command, or None where impossible."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return "chmod"
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    if done.returncode == 0:
        return "chattr"
    bind = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True, check=False)
    if bind.returncode == 0:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True, check=False).returncode == 0:
            return "mount"
        _unmount(folder)
    return None


def _writable(folder: Path, how: str) -> None:
    if how == "chmod":
        folder.chmod(0o755)
    elif how == "chattr":
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)
    else:
        _unmount(folder)


@pytest.mark.parametrize("first_build", [True, False], ids=["replacing", "new-output"])
def test_destination_that_cannot_be_written(make_site, tmp_path, first_build):
    root = make_site(SMALL)
    parent = tmp_path / "public"
    parent.mkdir()
    target = parent / "site"
    if first_build:
        assert build_site(root, "-o", str(target)).exit_code == 0
        (root / "content/neu.md").write_text("---\ntitle: Neu\n---\nNeu.\n")  # something to write
    before = snapshot_tree(parent)
    locked = [folder for folder in (parent, target) if folder.exists()]  # the output too: it is updated in place
    undo = [(folder, _read_only(folder)) for folder in locked]
    try:
        if any(how is None for _, how in undo):
            pytest.skip("cannot make a folder read-only here (root without chattr or bind mounts)")
        result = build_site(root, "-o", str(target))
    finally:
        for folder, how in reversed(undo):
            if how is not None:
                _writable(folder, how)
    assert result.exit_code == 1
    assert "error[IM050]" in result.stderr and str(parent) in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert snapshot_tree(parent) == before


# ---------------------------------------------------------------- two at once

def _held(lock_path: Path) -> bool:
    """True while another process holds the flock on `lock_path`."""
    if not lock_path.exists():
        return False
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _start_holding(root: Path, lock_path: Path, *args: str) -> subprocess.Popen:
    """Start a command and wait until it holds the lock (or has already finished)."""
    process = cli(root, *args)
    deadline = time.monotonic() + 60
    while not _held(lock_path) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    return process


def test_two_builds_into_one_folder(big_site, tmp_path):
    root = copy_site(big_site, tmp_path, RUNNING_PAGES)
    first = _start_holding(root, root / "._site.lock", "build", "--now", NOW)
    if first.poll() is not None:
        pytest.skip("the first build finished before a second could start")
    second = cli(root, "build", "--now", NOW)
    _, second_err = second.communicate(timeout=120)
    _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert second.returncode == 1
    assert "error[IM050]: another im-site build or publish is writing here" in second_err
    assert (root / "_site/index.html").is_file() and leftovers(root) == []


def test_two_publishes_into_one_folder(big_site, tmp_path):
    root = copy_site(big_site, tmp_path, RUNNING_PAGES)
    dest = tmp_path / "public"
    first = _start_holding(root, tmp_path / "public" / ".im-site.lock", "publish", "--dest", str(dest), "--version", "a",
                           "--now", NOW)
    if first.poll() is not None:
        pytest.skip("the first publish finished before a second could start")
    second = cli(root, "publish", "--dest", str(dest), "--version", "b", "--now", NOW)
    _, second_err = second.communicate(timeout=120)
    _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert second.returncode == 1
    assert "another im-site build or publish is writing here" in second_err
    assert (dest / "versions" / "a").is_dir() and not (dest / "versions" / "b").exists()
    for extra in range(10, RUNNING_PAGES):  # the folder is what is tested, not a long publish (as below)
        (root / f"content/messages/m{extra:04}.md").unlink()
    again = cli(root, "publish", "--dest", str(dest), "--version", "b", "--now", NOW)
    assert again.wait(timeout=120) == 0, again.stderr.read()
    assert sorted(p.name for p in (dest / "versions").iterdir() if p.is_dir() and not p.name.startswith(".")) == ["a", "b"]


def _forked_children(pid: int) -> list[str]:
    """The children of `pid` that are forks of it (its rendering workers, not `git` or the process
    deleting an old output: between their fork and their exec those show the parent's command line
    too, for a moment, and one caught so at the end of a publish had the signal land after it was
    done, exit 0; so a child counts only if it still is a fork of `pid` a little later)."""
    def forks() -> set[str]:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return set()
        found = set()
        for child in children:
            try:
                if Path(f"/proc/{child}/cmdline").read_bytes() == command:
                    found.add(child)
            except OSError:  # ended meanwhile
                continue
        return found
    first = forks()
    if not first:
        return []
    time.sleep(0.05)
    return sorted(first & forks())


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_publish_leaves_no_worker_holding_the_folder(big_site, tmp_path, signal_number):
    """`kill` (or the OOM killer, a CI time-out) stops the main process only: its rendering
    workers waited forever on their full pipes, holding the lock, and every later publish into
    the folder failed with "another im-site build or publish is writing here"."""
    root = copy_site(big_site, tmp_path, RUNNING_PAGES)
    first = cli(root, "publish", "--dest", str(tmp_path / "public"), "--version", "a", "--now", NOW)
    deadline = time.monotonic() + 60
    while first.poll() is None and not _forked_children(first.pid) and time.monotonic() < deadline:
        time.sleep(0.005)
    if first.poll() is not None or not _forked_children(first.pid):
        pytest.skip("the publish ended before its workers started")
    first.send_signal(signal_number)
    first.wait(timeout=30)
    (tmp_path / "public").mkdir(exist_ok=True)  # a first publish that stops takes its folder away
    with open(tmp_path / "public" / ".im-site.lock", "a+") as lock:  # free once no process of that publish is left
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                time.sleep(0.05)
    first.stdout.close()
    first.stderr.close()
    for extra in range(10, RUNNING_PAGES):  # the lock is what is tested, not a long publish (it is taken first)
        (root / f"content/messages/m{extra:04}.md").unlink()
    again = cli(root, "publish", "--dest", str(tmp_path / "public"), "--version", "b", "--now", NOW)
    _, err = again.communicate(timeout=120)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(first.pid, signal.SIGKILL)  # whatever outlived it, so that a failure here leaves nothing behind
    assert again.returncode == 0, err


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGHUP])
def test_termination_and_hang_up_stop_a_publish_like_ctrl_c(big_site, big_site_published, tmp_path, signal_number):
    """A cancelled CI job or a closed ssh session: before, the process just died, without a word
    and without removing its staging folder; now it stops as on Ctrl-C."""
    root = copy_site(big_site, tmp_path)  # without the cache of the publish below: the next one is long
    dest = tmp_path / "public"
    shutil.copytree(big_site_published, dest, symlinks=True)
    _add_messages(root, range(BIG_PAGES, RUNNING_PAGES))  # a second publish long enough to be caught running
    before = snapshot_tree(dest)
    second = cli(root, "publish", "--dest", str(dest), "--version", "b", "--now", NOW)
    deadline = time.monotonic() + 60
    while second.poll() is None and not _forked_children(second.pid) and time.monotonic() < deadline:
        time.sleep(0.005)
    if second.poll() is not None:
        pytest.skip("the publish ended before its workers started")
    second.send_signal(signal_number)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 130, err
    assert "interrupted; the previous output is untouched" in err and "Traceback" not in err
    assert snapshot_tree(dest) == before
    assert sorted(p.name for p in (dest / "versions").iterdir()) == ["a", "index.html", "versions.html"]


def test_signals_held_over_renames_are_dropped_on_success_and_delivered_on_failure():
    """output.signals_held: a Ctrl-C during the final renames never cuts them in half; after they
    succeed the build is complete (the signal is dropped), after they fail it is an interruption."""
    from im_site.output import signals_held

    with signals_held():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # delivered now, were it not held
    time.sleep(0.05)  # and not after the block either
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            raise OSError(5, "Input/output error")


def test_a_ctrl_c_python_would_swallow_is_delivered_again(capfd):
    """output.interrupts_delivered: Python drops a KeyboardInterrupt raised inside a weakref callback
    (every import runs some) with a traceback on stderr; the command must stop all the same, quietly."""
    from im_site.output import interrupts_delivered

    class Thing:
        pass

    def callback(ref: weakref.ref) -> None:
        signal.raise_signal(signal.SIGINT)  # Ctrl-C, landing inside the callback

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with interrupts_delivered():
            thing = Thing()
            ref = weakref.ref(thing, callback)
            del thing
            time.sleep(60)
    assert time.monotonic() - started < 30  # the wait itself was cut short, as by a Ctrl-C
    assert ref() is None
    assert "Traceback" not in capfd.readouterr().err
