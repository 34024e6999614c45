"""Extension point filled by its issue: pages and checks of this feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .build import BuildResult
    from .render import Job, RenderContext


def jobs(ctx: "RenderContext", result: "BuildResult") -> "list[Job]":
    """Validate this feature's content and plan its pages."""
    return []
