from conftest import build_site


def test_minimal_site_builds(make_site):
    root = make_site({"content/messages/hallo.md": """
        ---
        title: Hallo
        date: 2026-01-01
        ---
        Text.
        """})
    result = build_site(root)
    assert result.exit_code == 0, result.stderr
    assert (root / "_site" / "messages" / "hallo" / "index.html").is_file()
