"""Argo CD notification triggers only see the Application: every annotation our triggers and templates
read must be one the status aggregation (app_status) writes, and the triggers must fire on what it writes."""

import datetime
import pathlib
import re

import pytest
import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import notifications_config, nvj
from tests.unit.expr_subset import ExprError, evaluate

# The catalog as installed (the role inside the installed collection, not the source tree).
ROLE = pathlib.Path(nvj.__file__).resolve().parents[2] / "roles" / "argocd_notifications" / "files"
TRIGGERS = {"trigger." + p.stem: p.read_text() for p in sorted((ROLE / "triggers").glob("*.yaml"))}
TEMPLATES = {"template." + p.stem: p.read_text() for p in sorted((ROLE / "templates").glob("*.yaml"))}
NOW = datetime.datetime(2026, 2, 1, 12, 0, tzinfo=datetime.UTC)
ANN_CONSTANTS = {value for key, value in vars(nvj).items() if key.startswith("ANN_NOTEBOOK_")}


def conditions(name):
    return yaml.safe_load(TRIGGERS[name])


def written_by_aggregation():
    """The keys app_status's content builder produces for a sample (when that feature is present)."""
    try:
        from ansible_collections.mlops.gitops.plugins.module_utils import app_status
    except ImportError:
        return None
    tally = app_status.Tally()
    for phase in ("Succeeded", "Failed", "ValidationRunning"):
        tally.add(sample_job(phase, phase.lower()))
    return set(app_status.build_annotations(tally, NOW))


def sample_job(phase, name, completion="2026-01-31T10:00:00Z"):
    status = {"phase": phase}
    if phase in nvj.TERMINAL_PHASES:
        status["completionTime"] = completion
    return {"metadata": {"name": name, "namespace": "ml", "uid": name}, "status": status}


def test_catalog_is_complete():
    assert set(TRIGGERS) == {"trigger.on-notebook-validation-failed", "trigger.on-notebook-validation-succeeded"}
    assert set(TEMPLATES) == {"template.notebook-validation-failed", "template.notebook-validation-succeeded"}
    notifications_config.check_entries(TRIGGERS, TEMPLATES)


def test_every_annotation_read_is_written_by_the_aggregation():
    read = set()
    for text in list(TRIGGERS.values()) + list(TEMPLATES.values()):
        read |= notifications_config.annotations_read(text)
    assert read, "the parser found no annotation reads at all"
    assert read <= ANN_CONSTANTS, read - ANN_CONSTANTS
    produced = written_by_aggregation()
    if produced is not None:
        assert read <= produced, read - produced


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


FAILED = "trigger.on-notebook-validation-failed"
SUCCEEDED = "trigger.on-notebook-validation-succeeded"


@pytest.mark.parametrize(
    "annotations, fires",
    [
        (None, False),
        ({}, False),
        ({nvj.ANN_NOTEBOOK_FAILED: "0"}, False),
        ({nvj.ANN_NOTEBOOK_FAILED: "1", nvj.ANN_NOTEBOOK_LAST_FAILURE: "ml/a@t"}, True),
        ({nvj.ANN_NOTEBOOK_FAILED: "12"}, True),
    ],
)
def test_failed_trigger(annotations, fires):
    assert bool(evaluate(conditions(FAILED)[0]["when"], annotations)) is fires


@pytest.mark.parametrize(
    "annotations, fires",
    [
        (None, False),
        ({nvj.ANN_NOTEBOOK_TOTAL: "0", nvj.ANN_NOTEBOOK_SUCCEEDED: "0"}, False),
        ({nvj.ANN_NOTEBOOK_TOTAL: "3", nvj.ANN_NOTEBOOK_SUCCEEDED: "2"}, False),
        ({nvj.ANN_NOTEBOOK_TOTAL: "3", nvj.ANN_NOTEBOOK_SUCCEEDED: "3"}, True),
        ({nvj.ANN_NOTEBOOK_SUCCEEDED: "3"}, False),
    ],
)
def test_succeeded_trigger(annotations, fires):
    assert bool(evaluate(conditions(SUCCEEDED)[0]["when"], annotations)) is fires


def test_once_per_changes_with_each_new_failure_and_success():
    assert evaluate(conditions(FAILED)[0]["oncePer"], {nvj.ANN_NOTEBOOK_LAST_FAILURE: "ml/a@t1"}) == "ml/a@t1"
    assert evaluate(conditions(SUCCEEDED)[0]["oncePer"], {nvj.ANN_NOTEBOOK_LAST_SUCCESS: "ml/b@t2"}) == "ml/b@t2"


def test_unsupported_syntax_is_rejected():
    with pytest.raises(ExprError):
        evaluate("app.status.health.status == 'Degraded'", {})
    with pytest.raises(ExprError):
        evaluate("app.metadata.annotations['x'] == 'y'", None)


def test_triggers_fire_on_what_the_aggregation_writes():
    try:
        from ansible_collections.mlops.gitops.plugins.module_utils import app_status
    except ImportError:
        pytest.skip("app_status (feature 4) is not in this build")
    failing = app_status.Tally()
    for phase, name in (("Succeeded", "a"), ("Failed", "b"), ("ValidationRunning", "c")):
        failing.add(sample_job(phase, name))
    written = app_status.build_annotations(failing, NOW)
    assert evaluate(conditions(FAILED)[0]["when"], written)
    assert not evaluate(conditions(SUCCEEDED)[0]["when"], written)
    assert evaluate(conditions(FAILED)[0]["oncePer"], written) == "ml/b@2026-01-31T10:00:00Z"

    healthy = app_status.Tally()
    for name in ("a", "b"):
        healthy.add(sample_job("Succeeded", name))
    written = app_status.build_annotations(healthy, NOW)
    assert not evaluate(conditions(FAILED)[0]["when"], written)
    assert evaluate(conditions(SUCCEEDED)[0]["when"], written)
