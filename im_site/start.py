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
import sys

#: The exit code of an interrupted command (cli.py).
INTERRUPTED = 130


def entry() -> None:
    """The `im-site` console script."""
    previous = _signal.getsignal(_signal.SIGINT)
    if previous is _signal.default_int_handler:  # not when Ctrl-C is ignored (`im-site build &` in a script)
        _signal.signal(_signal.SIGINT, _stop)
    # Pydantic reads every installed package's entry points for plugins of its own (25 ms of
    # every build, measured); a build's checks use none and should not change with whatever
    # else shares the environment.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] in ("__all__", "1", "true"):  # what pydantic takes for "all"
        _no_plugin_loader()
    from .cli import entry as run_cli

    run_cli(sigint=previous)


def _no_plugin_loader() -> None:
    """Pydantic imports its plugin loader when it makes its first validator, plugins off or not,
    and the loader imports importlib.metadata, with the email, zipfile and tempfile modules beneath
    it (13-20 ms of CPU of every build on the shared machine, measured). With every plugin off, it gets a loader
    that finds none: `get_plugins` is all that pydantic asks of it (pydantic.plugin._schema_validator),
    and it answers as pydantic's own does then. A pydantic that asks more fails every build at once,
    in the tests first (test_incremental.py)."""
    import types  # loaded at start-up already

    loader = types.ModuleType("pydantic.plugin._loader")
    loader.get_plugins = lambda: ()
    sys.modules.setdefault(loader.__name__, loader)


def _stop(signum: int, frame: object) -> None:
    os._exit(INTERRUPTED)
