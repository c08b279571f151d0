"""The registry of trigger verbs (plugins/module_utils/trigger_verbs.py) and everything that lists verbs.

What reads the registry (the schema, the error messages, the per-action counts) agrees with it by
construction; what cannot (module DOCUMENTATION, docs/triggers.md, the kube-state-metrics configs, the
operator's metric description, the data cases in tests/data/verb_cases) is checked here, so a verb added
to the registry and forgotten in one of them fails this file.
"""

import ast
import os
import re

import pytest
import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import (
    operator_metrics,
    trigger_parse,
    trigger_record,
    trigger_verbs,
)

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
VERBS = trigger_verbs.ACTIONS
KSM_CONFIGS = ["roles/notebook_controller_deploy/files/kube-state-metrics.yaml",
               "config/metrics/custom-resource-state.yaml"]


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def module_doc(name, section):
    tree = ast.parse(read("plugins", "modules", name + ".py"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == section:
            return yaml.safe_load(node.value.value)
    raise AssertionError("{0} has no {1}".format(name, section))


def words(text):
    return re.findall(r"[a-z][a-z-]*", text)


# -- the registry itself -------------------------------------------------------------------------
def test_every_verb_is_one_entry_with_kinds_and_a_handler_for_each():
    assert len(set(VERBS)) == len(VERBS) and set(trigger_verbs.BY_NAME) == set(VERBS)
    for verb in trigger_verbs.VERBS:
        assert verb.kinds, verb.name
        assert len({k.kind for k in verb.kinds}) == len(verb.kinds), verb.name
        for kind in verb.kinds:
            assert callable(kind.handler), (verb.name, kind.kind)
            assert kind.kind not in trigger_parse.FORBIDDEN_KINDS
        assert not set(verb.unfit) & {k.kind for k in verb.kinds}, "{0}: a kind is accepted and unfit".format(verb)


def test_a_kind_has_one_api_version_across_verbs():
    for verb in trigger_verbs.VERBS:
        for kind in verb.kinds:
            assert trigger_verbs.KINDS[kind.kind] == kind.api_version, (verb.name, kind)


def test_extra_fields_name_kinds_the_verb_accepts_and_a_default_among_their_choices():
    for verb in trigger_verbs.VERBS:
        for field in verb.fields:
            assert set(field.kinds) <= {k.kind for k in verb.kinds}, (verb.name, field)
            assert field.default is None or field.default in field.choices, (verb.name, field)
            assert field.name not in ("apiVersion", "kind", "name", "namespace", "action")
    assert trigger_parse.FIELDS[5:] == trigger_verbs.FIELDS


def test_the_schema_and_its_messages_come_from_the_registry():
    with pytest.raises(trigger_parse.TriggerError) as info:
        trigger_parse.parse_triggers("- {apiVersion: apps/v1, kind: Deployment, name: m, action: boom}", "ns")
    assert "use one of " + ", ".join(VERBS) in str(info.value)
    for kind, api_version in trigger_verbs.KINDS.items():
        for verb in trigger_verbs.verbs_for(kind):
            text = "- {{apiVersion: {0}, kind: {1}, name: m, action: {2}}}".format(api_version, kind, verb)
            [target] = trigger_parse.parse_triggers(text, "ns", argocd_namespace="ns")
            assert target["id"].startswith(verb + ":")


def test_every_verb_and_result_has_its_count_annotation():
    record = {"targets": [{"id": verb + ":x", "result": result} for verb in VERBS for result in trigger_record.RESULTS]}
    counts = trigger_record.outcome_annotations(record, {})
    assert set(counts) == {trigger_record.outcome_annotation(v, r) for v in VERBS for r in trigger_record.RESULTS}


# -- static text that lists verbs ----------------------------------------------------------------
def test_the_module_documentation_names_every_verb_and_field():
    doc = module_doc("notebook_trigger", "DOCUMENTATION")
    [actions] = [d for d in doc["description"] if d.startswith("Actions:")]
    assert re.findall(r"(?:^Actions: |\), )C\(([a-z-]+)\) \(", actions) == list(VERBS)
    fields = re.search(r"C\(\{([^}]*)\}\)", doc["description"][0]).group(1)
    assert [f.strip() for f in fields.split(",")] == list(trigger_parse.FIELDS)
    returned = module_doc("notebook_trigger", "RETURN")["fired"]["contains"]["action"]["description"]
    assert re.findall(r"C\(([a-z-]+)\)", returned) == list(VERBS)


def test_docs_triggers_md_names_every_verb_its_kinds_and_its_fields():
    text = read("docs", "triggers.md")
    [row] = [line for line in text.splitlines() if line.startswith("| `action`")]
    assert re.findall(r"`([a-z-]+)`", row.split("|")[3]) == list(VERBS)
    for name in trigger_verbs.FIELDS:
        assert re.search(r"^\| `{0}` ".format(name), text, re.M), "docs/triggers.md has no row for field " + name
    documented = {}
    for line in text.splitlines():
        match = re.match(r"\| ([A-Z][\w, ]+) \(`([\w./]+)`\) +\| ([^|]+)\|", line)
        if match:
            for kind in match.group(1).split(", "):
                verbs = match.group(3).split("(")[0]
                documented[kind] = (match.group(2), [w for w in words(verbs) if w in VERBS])
    assert documented == {kind: (api_version, list(trigger_verbs.verbs_for(kind)))
                          for kind, api_version in trigger_verbs.KINDS.items()}
    for verb in VERBS:
        assert "- **`{0}`**".format(verb) in text, "docs/triggers.md does not describe verb " + verb


@pytest.mark.parametrize("path", KSM_CONFIGS)
def test_the_kube_state_metrics_configs_count_every_verb_and_result(path):
    [resource] = yaml.safe_load(read(path))["spec"]["resources"]
    counted = {(m["commonLabels"]["action"], m["commonLabels"]["result"]): m["each"]["gauge"]["path"]
               for m in resource["metrics"] if m["name"] == "trigger_targets"}
    assert counted == {(v, r): ["metadata", "annotations", trigger_record.outcome_annotation(v, r)]
                       for v in VERBS for r in trigger_record.RESULTS}


def test_the_operator_metric_description_lists_every_verb():
    listed = re.search(r"\(([^)]*)\)", operator_metrics.TRIGGERS[1]).group(1)
    assert [v.strip() for v in listed.split(",")] == list(VERBS)


def test_every_verb_has_data_cases():
    cases = os.path.join(ROOT, "tests", "data", "verb_cases")
    assert sorted(os.listdir(cases)) == sorted(VERBS)
    for verb in VERBS:
        assert [f for f in os.listdir(os.path.join(cases, verb)) if f.endswith(".yaml")], verb
