"""Argo CD notification triggers only see the Application: every annotation our triggers and templates
read must be one the status aggregation (notebook_status) writes, and the triggers must fire on what it writes.

The triggers and templates are evaluated in Argo CD's notifications engine itself, by the Go harness in
tests/argocd_engines (``make argocd-engines``). It replays the Applications in
tests/argocd_engines/testdata/applications.json; this file generates them with the collection's own
status step (Tally, build_annotations and the write decision of status_tally) and fails when the checked-in
copy is stale. Regenerate with ``UPDATE_ENGINE_FIXTURES=1 make check T=tests/unit/test_notification_contract.py``.
"""

import copy
import datetime
import json
import os
import pathlib
import re

import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import argocd_notifications, nvj, status_tally

# The catalog as installed (the role inside the installed collection, not the source tree).
ROLE = pathlib.Path(nvj.__file__).resolve().parents[2] / "roles" / "argocd_notifications" / "files"
TRIGGERS = {"trigger." + p.stem: p.read_text() for p in sorted((ROLE / "triggers").glob("*.yaml"))}
TEMPLATES = {"template." + p.stem: p.read_text() for p in sorted((ROLE / "templates").glob("*.yaml"))}
ANN_CONSTANTS = {value for key, value in vars(nvj).items() if key.startswith("ANN_NOTEBOOK_")}
FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "argocd_engines" / "testdata" / "applications.json"
T0 = datetime.datetime(2026, 2, 1, 12, 0, tzinfo=datetime.UTC)
FAILED = "on-notebook-validation-failed"
SUCCEEDED = "on-notebook-validation-succeeded"
MIN_INTERVAL = status_tally.MIN_INTERVAL


def conditions(name):
    return yaml.safe_load(TRIGGERS[name])


def test_catalog_is_complete():
    assert set(TRIGGERS) == {"trigger." + FAILED, "trigger." + SUCCEEDED}
    assert set(TEMPLATES) == {"template.notebook-validation-failed", "template.notebook-validation-succeeded"}
    argocd_notifications.check_entries(TRIGGERS, TEMPLATES)


_EXPR_ANNOTATION = re.compile(r"app\.metadata\.annotations\[\s*['\"]([^'\"]+)['\"]\s*\]")
_TEMPLATE_ANNOTATION = re.compile(r"index\s+\.app\.metadata\.annotations\s+\"([^\"]+)\"")


def annotations_read(value):
    """Annotation keys a trigger (expr) or template (Go template) reads from ``app.metadata.annotations``."""
    return set(_EXPR_ANNOTATION.findall(value or "")) | set(_TEMPLATE_ANNOTATION.findall(value or ""))


def test_every_annotation_read_is_written_by_the_aggregation():
    read = set()
    for text in list(TRIGGERS.values()) + list(TEMPLATES.values()):
        read |= annotations_read(text)
    assert read, "the parser found no annotation reads at all"
    assert read <= ANN_CONSTANTS, read - ANN_CONSTANTS
    tally = status_tally.Tally()
    for phase in ("Succeeded", "Failed", "ValidationRunning"):
        tally.add(job(phase, phase.lower(), T0))
    assert read <= set(status_tally.build_annotations(tally, T0))


def test_no_annotation_is_read_any_other_way():
    """Reads through another syntax (dot access, a variable) would escape the contract check above."""
    for text in list(TRIGGERS.values()) + list(TEMPLATES.values()):
        rest = re.sub(
            r"app\.metadata\.annotations\['mlops\.dev/[^']+'\]"
            r"|index \.app\.metadata\.annotations \"mlops\.dev/[^\"]+\"",
            "", text)
        assert "mlops.dev/notebook-" not in rest, rest


def test_triggers_only_read_the_application():
    """Not per-resource health: Argo CD 3.0+ no longer persists it in app.status.resources."""
    for text in TRIGGERS.values():
        for condition in yaml.safe_load(text):
            assert "app.status.resources" not in condition["when"]
            assert set(condition) <= {"description", "when", "oncePer", "send"}


def test_templates_named_by_triggers_exist_and_cover_all_services():
    for name in TRIGGERS:
        for condition in conditions(name):
            for template in condition["send"]:
                body = yaml.safe_load(TEMPLATES["template." + template])
                assert {"message", "email", "slack", "teams", "webhook"} <= set(body)
                assert body["email"]["subject"]
                assert {"attachments", "blocks"} <= set(body["slack"])
                assert "mlops-notebooks" in body["webhook"]


# -- the Applications the status step leaves, for the engine harness ------------------------------
def job(phase, name, completed=None, namespace="ml-team"):
    status = {"phase": phase}
    if phase in nvj.TERMINAL_PHASES:
        status["completionTime"] = nvj.rfc3339(completed)
    return {"metadata": {"name": name, "namespace": namespace, "uid": name}, "status": status}


def application(annotations):
    meta = {"name": "platform", "namespace": "ml-team", "resourceVersion": "1"}
    if annotations is not None:
        meta["annotations"] = annotations
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": meta,
        "spec": {"project": "default", "destination": {"namespace": "ml-team", "server": "https://kubernetes.default.svc"},
                 "source": {"repoURL": "https://example.invalid/repo", "path": "k8s", "targetRevision": "main"}},
        "status": {"health": {"status": "Healthy"}, "sync": {"status": "Synced"}},
    }


class StatusStep:
    """What the notebook_status module leaves on one Application across controller runs: the
    annotations of ``build_annotations``, written only when ``decide`` says so."""

    def __init__(self, annotations=None):
        tracking = {"argocd.argoproj.io/tracking-id": "platform:argoproj.io/Application:ml-team/platform"}
        self.annotations = dict(annotations or tracking)

    def run(self, seconds, jobs):
        now = T0 + datetime.timedelta(seconds=seconds)
        tally = status_tally.Tally()
        for item in jobs:
            tally.add(item)
        new = status_tally.build_annotations(tally, now)
        existing = status_tally.managed(self.annotations)
        action, _reason, _retry = status_tally.decide(existing, new, now, MIN_INTERVAL)
        if action == status_tally.UPDATED:
            self.annotations.update(new)
        return action, application(copy.deepcopy(self.annotations))


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def lifecycle_scenario():
    """One Application through failure, retry, recovery, a second failure and cleanup."""
    step = StatusStep()
    plan = [
        ("a validating", 0, [job("ValidationRunning", "a")], "updated", [], []),
        ("a failed", 120, [job("Failed", "a", at(100))], "updated", [FAILED], [FAILED]),
        ("a still failed, b starts", 240, [job("Failed", "a", at(100)), job("ValidationRunning", "b")],
         "updated", [FAILED], []),
        ("b succeeded 10 s later: the write is deferred", 250,
         [job("Failed", "a", at(100)), job("Succeeded", "b", at(245))], "deferred", [FAILED], []),
        ("a retried and succeeded", 400, [job("Succeeded", "a", at(390)), job("Succeeded", "b", at(245))],
         "updated", [SUCCEEDED], [SUCCEEDED]),
        ("nothing new", 500, [job("Succeeded", "a", at(390)), job("Succeeded", "b", at(245))],
         "unchanged", [SUCCEEDED], []),
        ("a failed again", 600, [job("Failed", "a", at(590)), job("Succeeded", "b", at(245))],
         "updated", [FAILED], [FAILED]),
        ("c failed 20 s later: a new failure is written at once", 620,
         [job("Failed", "a", at(590)), job("Succeeded", "b", at(245)), job("Failed", "c", at(615))],
         "updated", [FAILED], [FAILED]),
        ("all three succeed", 800,
         [job("Succeeded", "a", at(790)), job("Succeeded", "b", at(245)), job("Succeeded", "c", at(795))],
         "updated", [SUCCEEDED], [SUCCEEDED]),
        ("the jobs are deleted", 900, [], "updated", [], []),
    ]
    return run_plan("lifecycle", step, plan)


def run_plan(name, step, plan):
    steps = []
    for what, seconds, jobs, action, fires, sends in plan:
        done, app = step.run(seconds, jobs)
        assert done == action, (name, what, done)
        steps.append({"what": what, "application": app, "fires": fires, "sends": sends})
    return {"name": name, "steps": steps}


def several_namespaces_scenario():
    step = StatusStep()
    plan = [
        ("jobs in two namespaces, one failed", 0,
         [job("Succeeded", "a", at(-50), "team-a"), job("Failed", "b", at(-40), "team-b")],
         "updated", [FAILED], [FAILED]),
        ("the failed one retried and succeeded", 120,
         [job("Succeeded", "a", at(-50), "team-a"), job("Succeeded", "b", at(110), "team-b")],
         "updated", [SUCCEEDED], [SUCCEEDED]),
    ]
    return run_plan("several-namespaces", step, plan)


def untouched_scenario():
    """Applications the status step never wrote: nothing may fire, and nothing may error."""
    steps = []
    for what, annotations in (("no annotations at all", None), ("empty annotations", {}),
                              ("other tools' annotations", {"example.com/owner": "team"})):
        steps.append({"what": what, "application": application(annotations), "fires": [], "sends": []})
    return {"name": "untouched", "steps": steps}


def fixture():
    return {
        "generatedBy": "tests/unit/test_notification_contract.py",
        "argocdUrl": "https://argocd.example.com",
        "scenarios": [lifecycle_scenario(), several_namespaces_scenario(), untouched_scenario()],
    }


def render(data):
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def test_engine_fixture_is_what_the_status_step_writes():
    """The Go harness replays exactly what the aggregation writes today."""
    text = render(fixture())
    if os.environ.get("UPDATE_ENGINE_FIXTURES"):
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(text)
    assert FIXTURE.read_text() == text, (
        "tests/argocd_engines/testdata/applications.json is stale: regenerate it with "
        "UPDATE_ENGINE_FIXTURES=1 make check T=tests/unit/test_notification_contract.py")


def test_fixture_covers_every_trigger_firing_and_staying_silent():
    scenarios = fixture()["scenarios"]
    steps = [step for scenario in scenarios for step in scenario["steps"]]
    for trigger in (FAILED, SUCCEEDED):
        assert any(trigger in step["sends"] for step in steps)
        assert any(trigger in step["fires"] and trigger not in step["sends"] for step in steps), "oncePer unexercised"
        assert any(trigger not in step["fires"] for step in steps)
