"""The CI template: on a pull request `im-site check --strict` runs with a problem matcher, so that
every problem the real `check` prints becomes an annotation on its file and line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
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


# ---------------------------------------------------------------- the publish steps, run as CI runs them

EDITIONS_SITE = {
    "content/messages/alt.md": "---\ntitle: Alte Nachricht\ndate: 2020-01-01\naudiences: [filiale, zentrale]\n---\nText.\n",
    # goes live in the past of any real clock, after the first publish's --now
    "content/messages/neu.md": "---\ntitle: Neue Nachricht\ndate: 2020-06-01\npublish_at: 2020-06-01T08:00:00+00:00\n"
                               "audiences: [filiale]\n---\nText.\n",
    "content/messages/spaeter.md": "---\ntitle: Spaeter\ndate: 2999-01-01\npublish_at: 2999-01-01T08:00:00+00:00\n"
                                   "audiences: [zentrale]\n---\nText.\n",
}


def ci_scripts(name: str) -> tuple[str, str, str]:
    """(the default PUBLISH_SITES, the "is a publish due?" script, the publish script) of a CI template."""
    if name == "github":
        job = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["publish"]
        steps = {step.get("name"): step.get("run", "") for step in job["steps"]}
        return job.get("env", {}).get("PUBLISH_SITES", ""), steps["Is a publish due?"], steps["Publish"]
    gitlab = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    return gitlab["variables"].get("PUBLISH_SITES", ""), gitlab[".due"] + 'echo "run=$PUBLISH"\n', gitlab[".publish"]


def run_ci_step(name: str, script: str, root: Path, event: str, sites: str) -> dict[str, str]:
    """Run a step's script in bash in the repository `root` as the CI service would (its event, the
    im-site under test on PATH); the outputs it wrote (`run=true`)."""
    output = root / "github-output"
    output.write_text("")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_EVENT_NAME": event, "GITHUB_OUTPUT": str(output), "PUBLISH_SITES": sites,
           "CI_PIPELINE_SOURCE": event, "DEST": "public", "CI_COMMIT_SHORT_SHA": "abc1234"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=root, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    found = dict(line.split("=", 1) for line in (output.read_text() + done.stdout).splitlines() if "=" in line)
    return {key: value.replace("1", "true").replace("0", "false") for key, value in found.items() if key == "run"}


@pytest.mark.parametrize("name", ["github", "gitlab"])
def test_ci_publishes_audience_editions_with_the_main_site_and_on_schedule(make_site, name):
    """The CI templates publish the editions named in PUBLISH_SITES under one version id: a scheduled
    run publishes an embargoed message that went live into the edition too (its id taken from git
    was already published), and with the editions only a schedule with nothing due publishes nothing
    (no main site's manifest to read is no reason to publish every 30 minutes)."""
    default, due, publish = ci_scripts(name)
    assert default == "."
    root = make_site(EDITIONS_SITE)
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=root, check=True, capture_output=True,  # ids: the commit's, the clock's
                       env={**os.environ, "GIT_COMMITTER_DATE": "2020-01-01T00:00:00Z", "GIT_AUTHOR_DATE": "2020-01-01T00:00:00Z"})
    for audience in ([], ["--audience", "filiale"]):
        result = run_cli(root, "publish", "--dest", str(root / "public"), *audience, "--now", "2020-01-01T00:00:00+00:00")
        assert result.exit_code == 0, result.output
    assert run_ci_step(name, due, root, "schedule", ". filiale") == {"run": "true"}
    run_ci_step(name, publish, root, "schedule", ". filiale")
    for folder in (root / "public", root / "public/filiale"):
        assert len(json.loads((folder / "versions.json").read_text())) == 2, folder
        assert (folder / "latest/messages/neu/index.html").is_file(), folder
    if name == "github":  # a push job run again: nothing new, no failure (the same script for GitLab)
        run_ci_step(name, publish, root, "push", "filiale")
        assert len(json.loads((root / "public/filiale/versions.json").read_text())) == 2

    editions = make_site(EDITIONS_SITE, folder="editions")
    subprocess.run(["git", "init", "-q"], cwd=editions, check=True)
    result = run_cli(editions, "publish", "--dest", str(editions / "public"), "--audience", "zentrale", "--version", "v1",
                     "--now", "2020-01-01T00:00:00+00:00")
    assert result.exit_code == 0, result.output
    assert run_ci_step(name, due, editions, "schedule", "zentrale") == {"run": "false"}


def test_readme_closed_network_install_names_every_dependency():
    """IT installs on a closed network from a wheelhouse: the README's table says which wheels are
    compiled (per Python version), and must name every dependency pyproject.toml declares."""
    import tomllib

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n### Installing on a CI runner or a closed network"):]
    section = section[:section.index("\n### ", 1)]
    assert "--no-index --find-links wheelhouse im-site" in section and "pip wheel . -w wheelhouse" in section
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = {name.lower().replace("_", "-") for row in rows for name in re.findall(r"`([^`]+)`", row.split(" | ")[0])}
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    for requirement in declared:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement)[0].lower().replace("_", "-")
        assert name in named, f"README's closed-network table does not say what wheel {name} needs"
