"""The offline search index (filled by issue 6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .build import BuildResult
    from .render import RenderContext


def finish(ctx: "RenderContext", result: "BuildResult") -> None:
    """Write the search index into ctx.outputs from the rendered pages."""
    return None
