"""Browser tests (Playwright + Debian chromium); see README.md, "Browser support and accessibility"."""
