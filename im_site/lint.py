"""Warnings that need the whole build: brand voice, contrast, review dates (filled by issue 5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .build import BuildResult
    from .render import RenderContext


def check(ctx: "RenderContext", result: "BuildResult") -> None:
    """Add warnings to ctx.diagnostics."""
    return None
