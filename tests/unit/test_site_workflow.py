"""The course-site workflow builds the site and deploys it to GitHub Pages with the permissions Pages needs."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "site.yml"


def load():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 (PyYAML) reads the key `on` as True; GitHub reads it as the string "on".
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps_using(job, action):
    return [step for step in job["steps"] if step.get("uses", "").split("@")[0] == action]


def test_runs_on_push_to_main_and_by_hand():
    triggers = load()["on"]
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers
    assert set(triggers) == {"push", "workflow_dispatch"}, "never on pull requests: they must not deploy"


def test_deploy_job_has_the_pages_permissions_and_environment():
    workflow = load()
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    (step,) = steps_using(deploy, "actions/deploy-pages")
    assert step["id"] == "deployment"
    assert "pages-artifact" in deploy["if"], "deploys only what the build uploaded"
    assert workflow["permissions"] == {"contents": "read"}, "nothing else may write"


def test_build_job_configures_pages_builds_resumably_and_uploads_the_site():
    build = load()["jobs"]["build"]
    assert build["permissions"]["contents"] == "read"
    assert steps_using(build, "actions/configure-pages")
    (upload,) = steps_using(build, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "site/" and upload["id"] == "upload-pages"
    assert "upload-pages.outputs.artifact_id" in build["outputs"]["pages-artifact"]
    (run,) = [step for step in build["steps"] if step.get("id") == "build"]
    assert "scripts/build_site.py" in run["run"]
    assert "--stop-after" in run["run"] and run["continue-on-error"] is True
    restore, save = steps_using(build, "actions/cache/restore"), steps_using(build, "actions/cache/save")
    assert restore[0]["with"]["path"] == save[0]["with"]["path"] == "site/", "the pages of the last run come back"
    assert restore[0]["with"]["restore-keys"] in save[0]["with"]["key"]
    assert save[0]["if"].startswith("always()"), "a build that stopped still keeps what it finished"
    step_names = [step.get("uses", step.get("run", "")) for step in build["steps"]]
    assert step_names.index(run["run"]) < step_names.index(upload["uses"])


def test_every_action_is_pinned_to_a_commit():
    for job in load()["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", step["uses"]), f"not pinned to a commit: {step['uses']}"
    # and each pin says which release it is
    for line in WORKFLOW.read_text().splitlines():
        if "uses:" in line:
            assert re.search(r"#\s*v\d+\.\d+\.\d+$", line), f"no release named: {line.strip()}"
