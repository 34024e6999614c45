"""The CI template: on a pull request `im-site check --strict` runs with a problem matcher, so that
every problem the real `check` prints becomes an annotation on its file and line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from conftest import NOW, run_cli

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github/workflows/publish.yml"
MATCHER = REPO / ".github/im-site-problems.json"


def test_the_problem_matcher_reads_every_line_check_prints(make_site):
    root = make_site({
        "content/messages/kaputt.md": "---\ntitle: [kaputt\ndate: 2026-01-01\n---\nText\n",
        "content/seite.md": "---\ntitle: Seite\n---\n[Sprung](#nirgends)\n",
    })
    result = run_cli(root, "check", "--strict", "--now", NOW)
    assert result.exit_code == 1
    [matcher] = json.loads(MATCHER.read_text(encoding="utf-8"))["problemMatcher"]
    [pattern] = matcher["pattern"]
    regexp = re.compile(pattern["regexp"])
    problems = [line for line in result.stdout.splitlines() if re.search(r": (error|warning)\[IM", line)]
    found = {}
    for line in problems:
        match = regexp.match(line)
        assert match, line
        found[match[pattern["file"]]] = {name: match[pattern[name]] for name in ("line", "column", "severity", "code", "message")}
    assert found["content/messages/kaputt.md"]["line"] == "3" and found["content/messages/kaputt.md"]["severity"] == "error"
    assert found["content/messages/kaputt.md"]["code"] == "IM003"
    assert found["content/seite.md"] == {"line": "4", "column": None, "severity": "warning", "code": "IM102",
                                         "message": found["content/seite.md"]["message"]}
    assert "nirgends" in found["content/seite.md"]["message"]
    assert len(found) == len(problems) == 2
    # A problem without a line (the site itself) is read too.
    assert regexp.match("site.yaml: error[IM001 config]: base_url must be a path")[1] == "site.yaml"


def test_pull_requests_are_checked_with_the_matcher_and_never_published():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))
    assert "pull_request" in triggers
    check, publish = workflow["jobs"]["check"], workflow["jobs"]["publish"]
    assert check["if"] == "github.event_name == 'pull_request'"
    assert publish["if"] == "github.event_name != 'pull_request'"
    script = next(step["run"] for step in check["steps"] if step.get("name") == "Check")
    assert f"::add-matcher::{MATCHER.relative_to(REPO).as_posix()}" in script and "im-site check --strict" in script
    assert check["permissions"] == {"contents": "read"}


GITLAB = REPO / "docs/gitlab-ci.yml"


def test_gitlab_merge_requests_get_a_code_quality_report_of_every_problem(make_site, monkeypatch):
    """GitLab shows a Code Quality report in the merge request: each problem `check` finds, named from
    the repository (the site may be a folder of it), with a fingerprint GitLab can compare between
    the merge request and its target, and the CI template uploads it even when the check fails."""
    root = make_site({
        "content/messages/kaputt.md": "---\ntitle: [kaputt\ndate: 2026-01-01\n---\nText\n",
        "content/seite.md": "---\ntitle: Seite\n---\n[Sprung](#nirgends)\n\n[Sprung](#nirgends)\n\n[x](fehlt.md)\n",
    }, folder="repo/intranet")
    monkeypatch.chdir(root.parent)
    result = run_cli(root, "check", "--strict", "--format", "codequality", "--now", NOW)
    assert result.exit_code == 1
    issues = json.loads(result.stdout)
    text = run_cli(root, "check", "--now", NOW).stdout
    assert len(issues) == len(re.findall(r": (?:error|warning)\[IM", text)) == 4
    for issue in issues:
        assert issue["type"] == "issue" and issue["severity"] in {"major", "minor"}
        assert issue["description"].startswith(issue["check_name"].split()[0] + ": ")
        assert issue["location"]["path"].startswith("intranet/content/") and issue["location"]["lines"]["begin"] >= 1
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)  # the repeated anchor too
    broken = next(issue for issue in issues if issue["check_name"] == "IM101 broken-link")
    assert broken["severity"] == "major" and broken["location"] == {"path": "intranet/content/seite.md", "lines": {"begin": 8}}
    assert "fehlt.md" in broken["description"]
    # An edit above a problem moves it, but it stays the same problem for GitLab.
    (root / "content/seite.md").write_text("---\ntitle: Seite\n---\nNeu.\n\n[Sprung](#nirgends)\n\n[Sprung](#nirgends)\n\n"
                                           "[x](fehlt.md)\n", encoding="utf-8")
    moved = json.loads(run_cli(root, "check", "--format", "codequality", "--now", NOW).stdout)
    assert {issue["fingerprint"] for issue in moved} == {issue["fingerprint"] for issue in issues}

    check = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))["check"]
    script = "\n".join(check["script"])
    assert "im-site check --strict --format codequality > gl-code-quality-report.json" in script
    assert check["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert check["artifacts"]["when"] == "always"
