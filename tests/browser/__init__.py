"""Browser tests (Playwright + Debian chromium); see docs/browser.md."""
