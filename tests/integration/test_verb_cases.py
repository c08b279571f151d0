"""Every trigger verb, case by case, against the cluster: tests/data/verb_cases/<verb>/<case>.yaml.

A case is the shape of Argo CD's ``resource_customizations/<group>/<Kind>/actions/action_test.yaml``: what the
verb meets, what it is asked, and the object expected after. Here each case file holds

- ``target``: the trigger entry (``apiVersion``, ``kind``, ``name``, ``action``, and extra fields such as
  ``mode``), parsed by ``trigger_parse`` as the annotation would be, in the test's namespace;
- ``input``: the objects the verb meets, each built by a test-world builder (``build``: the name of a
  ``harness/world.py`` function, called with the namespace and ``args``; a nested ``{build, args}``
  in ``args`` is called without one) and deep-merged with ``merge`` (``null`` removes a key);
  ``later``: objects created after the completion (pods that already serve the new model);
- ``context``: ``completion_time`` (RFC 3339, or ``now``: a second after ``input`` was created), ``key``;
- ``expected``: the handler's ``result``, ``changed`` and a part of its ``message`` (or ``error``: a part of
  the ``KubeError`` it raises, which fails that target only); ``objects``, partial
  objects the server must hold after (``null``: the key is absent; ``{completion_time}`` and ``{key}`` are
  replaced); ``gone``, objects deleted; ``writes``, the write requests sent (``<verb> <resource>`` and a
  patch's content type), read from the recording proxy's log when there is one.

The handler runs from the registry (``trigger_verbs.run``) against the real kube-apiserver, then the objects
are read back. Adding a case is adding a file.
"""

import copy
import datetime
import glob
import os
import time

import pytest
import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import nvj, trigger_parse, trigger_verbs
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError

from harness import rbac, world

CASES_DIR = os.path.join(os.path.dirname(__file__), "..", "data", "verb_cases")
CASES = sorted(glob.glob(os.path.join(CASES_DIR, "*", "*.yaml")))
PATCH_TYPES = {"application/merge-patch+json": "merge", "application/strategic-merge-patch+json": "strategic",
               "application/json-patch+json": "json"}


def case_id(path):
    return "{0}/{1}".format(os.path.basename(os.path.dirname(path)), os.path.basename(path)[:-5])


def built(spec, namespace=None):
    """An object from a test-world builder, ``merge`` applied."""
    args = dict((key, built(value) if isinstance(value, dict) and "build" in value else value)
                for key, value in (spec.get("args") or {}).items())
    builder = getattr(world, spec["build"])
    obj = builder(namespace, **args) if namespace is not None else builder(**args)
    return merged(obj, spec.get("merge") or {})


def merged(obj, patch):
    out = copy.deepcopy(obj)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def filled(value, names):
    if isinstance(value, str):
        return value.format(**names) if "{" in value else value
    if isinstance(value, list):
        return [filled(v, names) for v in value]
    if isinstance(value, dict):
        return dict((k, filled(v, names)) for k, v in value.items())
    return value


def mismatches(expected, actual, where=""):
    """Where ``actual`` differs from the partial object ``expected`` (lists compare item by item)."""
    if expected is None:
        return [] if actual is None else ["{0}: expected absent, found {1!r}".format(where or ".", actual)]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return ["{0}: expected a mapping, found {1!r}".format(where or ".", actual)]
        return [m for key, value in expected.items()
                for m in mismatches(value, actual.get(key), "{0}.{1}".format(where, key))]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return ["{0}: expected {1!r}, found {2!r}".format(where, expected, actual)]
        return [m for i, (item, found) in enumerate(zip(expected, actual))
                for m in mismatches(item, found, "{0}[{1}]".format(where, i))]
    return [] if expected == actual else ["{0}: expected {1!r}, found {2!r}".format(where, expected, actual)]


def after_a_second():
    """A completion time strictly after every object created so far (creationTimestamp has whole seconds),
    and the wait until it has passed, so that objects created next are not older than it."""
    moment = datetime.datetime.now(datetime.UTC).replace(microsecond=0) + datetime.timedelta(seconds=1)
    while datetime.datetime.now(datetime.UTC) < moment + datetime.timedelta(milliseconds=50):
        time.sleep(0.05)
    return nvj.rfc3339(moment)


def writes(cluster):
    """``<verb> <resource> [<patch type>]`` of each write request in the recording proxy's log."""
    return [" ".join(p for p in (e["verb"], e["resource"], PATCH_TYPES.get(e.get("patch_type"))) if p)
            for e in world.writes(cluster.request_log)]


def ungranted(cluster):
    """The requests sent that the controller's rights (harness/rbac.py USED, which the ClusterRole of
    the deploy role must grant exactly) do not cover: a new verb's kind must be added there too."""
    granted = rbac.rights(rbac.USED)
    return ["{0} {1}/{2}".format(e["verb"], e["group"] or "core", e["resource"]) for e in cluster.request_log
            if e["resource"] and (e["group"], e["resource"], e["verb"]) not in granted]


def test_every_verb_has_a_case():
    assert sorted({os.path.basename(os.path.dirname(p)) for p in CASES}) == sorted(trigger_verbs.ACTIONS)


@pytest.mark.parametrize("path", CASES, ids=[case_id(p) for p in CASES])
def test_verb_case(path, cluster, api, namespace):
    with open(path, encoding="utf-8") as handle:
        case = yaml.safe_load(handle)
    assert os.path.basename(os.path.dirname(path)) == case["target"]["action"], "a case lives under its verb"
    for spec in case.get("input") or []:
        world.create(api, built(spec, namespace))
    context = dict(case.get("context") or {})
    if context.get("completion_time", "now") == "now":
        context["completion_time"] = after_a_second()
    context.setdefault("key", "u-1/Succeeded/" + context["completion_time"])
    context.setdefault("job_ref", namespace + "/train")
    for spec in case.get("later") or []:
        world.create(api, built(spec, namespace))
    [target] = trigger_parse.parse_triggers(yaml.safe_dump([case["target"]]), namespace, argocd_namespace=namespace)
    if cluster.proxy is not None:
        cluster.clear_log()

    expected = filled(case["expected"], dict(context, namespace=namespace))
    if "error" in expected:
        with pytest.raises(KubeError) as caught:
            trigger_verbs.run(api, target, context)
        assert expected["error"] in str(caught.value)
    else:
        outcome = trigger_verbs.run(api, target, context)
        assert outcome["result"] == expected["result"], outcome
        assert outcome["changed"] is expected["changed"], outcome
        assert expected.get("message", "") in outcome["message"], outcome
    if cluster.proxy is not None:
        missing = ungranted(cluster)
        assert not missing, "requests the controller's ClusterRole does not grant: {0}".format(missing)
        if "writes" in expected:
            assert writes(cluster) == expected["writes"]
    for obj in expected.get("objects") or []:
        stored = api.get(obj["apiVersion"], obj["kind"], obj["metadata"]["name"], namespace)
        assert stored is not None, "{0} {1} is gone".format(obj["kind"], obj["metadata"]["name"])
        problems = mismatches(obj, stored)
        assert not problems, "{0} {1}: {2}".format(obj["kind"], obj["metadata"]["name"], "; ".join(problems))
    for obj in expected.get("gone") or []:
        assert api.get(obj["apiVersion"], obj["kind"], obj["name"], namespace) is None, obj
