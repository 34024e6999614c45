"""The `im-site` command's first lines: a Ctrl-C while the CLI is still being imported ends it quietly.

Importing the CLI (click, pydantic, jinja2, markdown-it-py, ...) takes a few tenths of a
second. A KeyboardInterrupt raised in there printed a Python traceback, or, when it
landed in an import lock's callback, "Exception ignored" and a command that ran on.
Nothing has been read or written yet, so until cli.entry takes Ctrl-C over it just ends
the process with the code of an interrupted command. This module imports only what
Python has loaded at start-up (`_signal`, not `signal`, whose import takes as long as
the rest of this module), so the moment before the guard is as short as can be.
"""

from __future__ import annotations

import _signal
import os

#: The exit code of an interrupted command (cli.py).
INTERRUPTED = 130


def entry() -> None:
    """The `im-site` console script."""
    previous = _signal.getsignal(_signal.SIGINT)
    if previous is _signal.default_int_handler:  # not when Ctrl-C is ignored (`im-site build &` in a script)
        _signal.signal(_signal.SIGINT, _stop)
    # Pydantic reads every installed package's entry points for plugins of its own (25 ms of
    # every build, measured); a build's checks use none and should not change with whatever
    # else shares the environment. (Its plugin loader, and importlib.metadata with it, is still
    # imported: 11-20 ms, left, since only replacing a private module of pydantic's avoids it.)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from .cli import entry as run_cli

    run_cli(sigint=previous)


def _stop(signum: int, frame: object) -> None:
    os._exit(INTERRUPTED)
