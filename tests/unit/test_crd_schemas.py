"""The test CRDs (tests/data/crds) against what the collection writes and reads, and against the upstream CRDs.

Every object shape the collection writes is produced here by the real code (trigger_verbs,
argocd_health_check, argocd_notifications, notebook_wave) against a recording fake API, and each written field
must be declared, with a matching type, in our CRD schema and, when ``../shared/reference/crds`` (or
``MLOPS_TEST_CRDS``) is there, in the upstream projects' own CRD: a field a real API server would
prune (a misspelling, a field of another version) fails here. Fields the collection reads must be
declared in both as well, or it would read something no cluster ever holds.

Our CRDs must also be structural (every node typed, arrays with items) and keep
``x-kubernetes-preserve-unknown-fields`` only where upstream has it and the collection never writes.
"""

import copy

import pytest
import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import (
    argocd_config,
    argocd_health_check,
    argocd_notifications,
    notebook_wave,
    trigger_verbs,
)
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi
from harness import crds

APP = ("argoproj.io", "Application")
PROJECT = ("argoproj.io", "AppProject")
ARGOCD = ("argoproj.io", "ArgoCD")
NOTIFICATIONS = ("argoproj.io", "NotificationsConfiguration")
NVJ = ("mlops.mlops.dev", "NotebookValidationJob")
ISVC = ("serving.kserve.io", "InferenceService")
KINDS = (APP, PROJECT, ARGOCD, NOTIFICATIONS, NVJ, ISVC)

# Where our CRDs may keep unknown fields: upstream has it there, and the collection never writes there.
PRESERVE_ALLOWED = {
    APP: {
        "spec.source.helm.valuesObject",
        "spec.sources[].helm.valuesObject",
        "operation.sync.source.helm.valuesObject",
        "operation.sync.sources[].helm.valuesObject",
        "status.sync.comparedTo.source.helm.valuesObject",
        "status.sync.comparedTo.sources[].helm.valuesObject",
        "status.history[].source.helm.valuesObject",
        "status.history[].sources[].helm.valuesObject",
        "status.operationState.operation.sync.source.helm.valuesObject",
        "status.operationState.operation.sync.sources[].helm.valuesObject",
        "status.operationState.syncResult.source.helm.valuesObject",
        "status.operationState.syncResult.sources[].helm.valuesObject",
    },
    ISVC: {"status"},
}

# Fields the collection reads (plugins/, the health check Lua, tools/demo.py); "[]" steps into list items.
READS = {
    APP: [
        "spec.source.targetRevision",  # trigger_verbs.sync_operation
        "spec.sources",
        "spec.syncPolicy.retry",
        "spec.destination.namespace",  # argo_app.manages_namespace
        "status.resources[].namespace",
        "operation.info[].name",  # trigger_verbs.sync_decision
        "operation.info[].value",
        "status.operationState.phase",
        "status.operationState.operation.info[].name",
        "status.operationState.operation.info[].value",
    ],
    NVJ: [
        "status.phase",  # nvj.py, notebook_wait.py, health.lua
        "status.message",
        "status.startTime",
        "status.completionTime",
        "status.retryCount",
        "status.validationPodName",
        "status.conditions[].type",
        "status.conditions[].status",
        "status.conditions[].reason",
        "status.conditions[].message",
        "status.conditions[].lastTransitionTime",
        "status.buildStatus.phase",
        "status.buildStatus.message",
        "status.buildStatus.buildName",
        "status.buildStatus.imageReference",
        "status.results[].cellIndex",
        "status.results[].status",
        "spec.notebook.path",
    ],
    ARGOCD: [
        "spec.resourceHealthChecks[].group",  # argocd_config.plan_list identity, tools/demo.py
        "spec.resourceHealthChecks[].kind",
        "spec.resourceHealthChecks[].check",
        "spec.notifications.enabled",  # argocd_notifications's advice
    ],
    NOTIFICATIONS: ["spec.triggers", "spec.templates"],
    ISVC: ["spec.predictor.annotations"],
}

COMPLETION = "2026-01-24T22:30:00Z"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the upstream CRDs are megabytes of YAML


# -- loading ----------------------------------------------------------------------------------
def _load_file(path):
    found = {}
    for doc in yaml.load_all(path.read_text(), Loader=LOADER):
        if doc and doc.get("kind") == "CustomResourceDefinition":
            found[(doc["spec"]["group"], doc["spec"]["names"]["kind"])] = doc
    return found


def _load(folder):
    found = {}
    for path in sorted(folder.glob("*.yaml")):
        found.update(_load_file(path))
    return found


OURS = _load(crds.OWN_CRDS)
_REFERENCE_DIR = crds.reference_dir()
REFERENCE = _load(_REFERENCE_DIR) if _REFERENCE_DIR and _REFERENCE_DIR.is_dir() else {}


def _schema(crd, version=None):
    versions = crd["spec"]["versions"]
    chosen = [v for v in versions if v["name"] == version] if version else [v for v in versions if v.get("storage")]
    assert chosen, "{0} serves no version {1}".format(crd["metadata"]["name"], version)
    return chosen[0]["schema"]["openAPIV3Schema"]


def _reference(kind):
    if kind not in REFERENCE:
        pytest.skip("no upstream CRD for {0}/{1} (../shared/reference/crds is absent here)".format(*kind))
    return REFERENCE[kind]


# -- schema walking ---------------------------------------------------------------------------
def _steps(path):
    """``"a.b[].c"`` -> ``["a", "b", "[]", "c"]``."""
    out = []
    for part in path.split("."):
        name = part.rstrip("[]")
        if name:
            out.append(name)
        out.extend(["[]"] * (part[len(name):].count("[]")))
    return out


def _child(node, step):
    """The schema of ``step`` under ``node``: (schema, None) or (None, why not)."""
    if step == "[]":
        if node.get("type") != "array" or "items" not in node:
            return None, "is not a list"
        return node["items"], None
    if node.get("x-kubernetes-preserve-unknown-fields") and step not in (node.get("properties") or {}):
        return None, "is kept only by x-kubernetes-preserve-unknown-fields"
    if step in (node.get("properties") or {}):
        return node["properties"][step], None
    if isinstance(node.get("additionalProperties"), dict):
        return node["additionalProperties"], None
    return None, "is not declared (a real API server prunes it)"


def resolve(schema, path):
    """``(schema node, None)`` for a dotted path, or ``(None, problem)``."""
    node, walked = schema, []
    for step in _steps(path):
        node, why = _child(node, step)
        walked.append(step)
        if node is None:
            return None, "{0} {1}".format(".".join(walked).replace(".[]", "[]"), why)
    return node, None


def _type_ok(node, value):
    if node.get("x-kubernetes-int-or-string"):
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    kind = node.get("type")
    checks = {
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
    }
    return kind is None or checks[kind](value)


def problems(schema, obj, path="", whole=False):
    """Every field of ``obj`` (a written object or patch) a server with ``schema`` would prune or reject.
    ``metadata`` is ObjectMeta, which the server validates itself; ``None`` is a merge-patch deletion."""
    found = []
    for key, value in obj.items():
        here = path + "." + key if path else key
        if here == "metadata" or value is None:
            continue
        node, why = _child(schema, key)
        if node is None:
            found.append("{0} {1}".format(here, why))
            continue
        found.extend(_value_problems(node, value, here, whole))
    return found


def _value_problems(node, value, here, whole=False):
    """``whole``: the value is written entire (a list item: a merge patch replaces lists), so its
    required fields must be there; elsewhere a merge patch may leave them to the object it merges into."""
    if node.get("x-kubernetes-preserve-unknown-fields") and not node.get("properties"):
        return ["{0} is kept only by x-kubernetes-preserve-unknown-fields (nothing checks it)".format(here)]
    if not _type_ok(node, value):
        return ["{0} is {1}, the schema says {2}".format(here, type(value).__name__, node.get("type"))]
    if "enum" in node and value not in node["enum"]:
        return ["{0}={1!r} is not one of {2}".format(here, value, node["enum"])]
    if isinstance(value, dict):
        missing = [name for name in node.get("required") or [] if whole and name not in value]
        found = ["{0}.{1} is required".format(here, name) for name in missing]
        return found + problems(node, value, here, whole)
    if isinstance(value, list):
        found = []
        for item in value:
            found.extend(_value_problems(node["items"], item, here + "[]", whole=True))
        return found
    return []


def preserve_paths(schema, path=""):
    """Dotted paths of the nodes with x-kubernetes-preserve-unknown-fields."""
    found = [path] if schema.get("x-kubernetes-preserve-unknown-fields") else []
    for key, child in (schema.get("properties") or {}).items():
        found.extend(preserve_paths(child, path + "." + key if path else key))
    if "items" in schema:
        found.extend(preserve_paths(schema["items"], path + "[]"))
    if isinstance(schema.get("additionalProperties"), dict):
        found.extend(preserve_paths(schema["additionalProperties"], path + "{}"))
    return found


def structural_problems(schema, path="<root>"):
    """What makes a schema non-structural (or useless for pruning) in the way we write them."""
    found = []
    if not (schema.get("type") or schema.get("x-kubernetes-int-or-string")):
        found.append(path + " has no type")
    if schema.get("type") == "array" and "items" not in schema:
        found.append(path + " is an array without items")
    if schema.get("properties") and schema.get("additionalProperties") not in (None, False):
        found.append(path + " has both properties and additionalProperties")
    for name in schema.get("required") or []:
        if name not in (schema.get("properties") or {}):
            found.append("{0} requires {1}, which it does not declare".format(path, name))
    for key, child in (schema.get("properties") or {}).items():
        found.extend(structural_problems(child, path + "." + key))
    if "items" in schema:
        found.extend(structural_problems(schema["items"], path + "[]"))
    if isinstance(schema.get("additionalProperties"), dict):
        found.extend(structural_problems(schema["additionalProperties"], path + "{}"))
    return found


def declared_paths(schema, path=""):
    """``(path, node)`` for every declared property, "[]" for list items."""
    for key, child in (schema.get("properties") or {}).items():
        here = path + "." + key if path else key
        yield here, child
        yield from declared_paths(child, here)
        node, item_path = child, here
        while node.get("type") == "array" and "items" in node:
            node, item_path = node["items"], item_path + "[]"
            yield from declared_paths(node, item_path)


# -- what the collection writes, produced by its own code --------------------------------------
class RecordingApi(KubeApi):
    """Serves fixed objects by (apiVersion, kind, name) and records every patch, under the real API layer's
    conditional write."""

    def __init__(self, *objects):
        super().__init__(None)
        self.objects = {(o["apiVersion"], o["kind"], o["metadata"]["name"]): copy.deepcopy(o) for o in objects}
        self.patches = []

    def has_resource(self, api_version, kind):
        return any(key[:2] == (api_version, kind) for key in self.objects)

    def get(self, api_version, kind, name, namespace=None):
        return copy.deepcopy(self.objects.get((api_version, kind, name)))

    def list(self, api_version, kind, namespace=None, label_selector=None, **_kwargs):
        return [copy.deepcopy(o) for key, o in self.objects.items() if key[:2] == (api_version, kind)]

    def patch(self, api_version, kind, name, patch, namespace=None, patch_type=None, subresource=None):
        self.patches.append(((api_version, kind), copy.deepcopy(patch)))
        return self.get(api_version, kind, name, namespace)

    def delete(self, *args, **kwargs):
        return True


def _meta(name):
    return {"name": name, "namespace": "argocd", "resourceVersion": "7", "uid": "u-" + name}


def _application(**spec):
    body = {"project": "default", "destination": {"namespace": "ml", "server": "https://kubernetes.default.svc"}}
    body.update(spec)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": _meta("app"), "spec": body}


def _target(kind, api_version, name, **extra):
    return dict({"apiVersion": api_version, "kind": kind, "name": name, "namespace": "argocd", "index": 0}, **extra)


CONTEXT = {"key": "uid/Succeeded/" + COMPLETION, "completion_time": COMPLETION, "job_ref": "ml/train"}
RETRY = {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}, "refresh": True}


def _sync_writes():
    single = _application(
        source={"repoURL": "https://example.invalid/r", "path": "k8s", "targetRevision": "main"},
        syncPolicy={"automated": {"prune": True, "selfHeal": True}, "syncOptions": ["CreateNamespace=true"],
                    "retry": RETRY},
    )
    multi = _application(sources=[{"repoURL": "https://example.invalid/r", "path": "k8s", "targetRevision": "v1"}])
    writes = []
    for app in (single, multi):
        api = RecordingApi(app)
        trigger_verbs.sync_application(api, _target("Application", "argoproj.io/v1alpha1", "app",
                                                      action="sync"), CONTEXT)
        writes.extend(api.patches)
    assert any(patch["operation"].get("retry") for _kind, patch in writes), "the retry copy was not exercised"
    assert any(patch["operation"]["sync"].get("revision") for _kind, patch in writes)
    return writes


def _refresh_writes():
    api = RecordingApi(_application(), {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": _meta("isvc"),
        "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "pvc://m/x"}}}})
    trigger_verbs.refresh_application(api, _target("Application", "argoproj.io/v1alpha1", "app",
                                                     action="refresh", mode="hard"), CONTEXT)
    isvc = _target("InferenceService", "serving.kserve.io/v1beta1", "isvc")
    trigger_verbs.rollout_inference_service(api, dict(isvc, action="rollout"), CONTEXT)
    trigger_verbs.refresh_annotation(api, dict(isvc, action="refresh"), CONTEXT)
    return api.patches


def _health_check_writes():
    writes = []
    for api_version in argocd_config.ARGOCD_API_VERSIONS:
        argocd = {"apiVersion": api_version, "kind": "ArgoCD", "metadata": _meta("argocd"),
                  "spec": {"resourceHealthChecks": [{"group": "argoproj.io", "kind": "Rollout", "check": "x"}]}}
        api = RecordingApi(argocd)
        argocd_health_check.install_health_check(api, "argocd", "mlops.mlops.dev", "NotebookValidationJob",
                                                 check="hs = {}\nreturn hs", target="cr")
        writes.extend(api.patches)
    return writes


def _notification_writes():
    cr = {"apiVersion": argocd_notifications.CR_API_VERSION, "kind": argocd_notifications.CR_KIND,
          "metadata": _meta(argocd_notifications.CR_NAME), "spec": {"triggers": {"trigger.theirs": "- send: [x]"}}}
    api = RecordingApi(cr)
    argocd_notifications.install(api, "argocd", {"trigger.on-notebook-validation-failed": "- send: [t]"},
                                 {"template.notebook-validation-failed": "message: m"},
                                 target="cr")
    return api.patches


def _nvj_writes():
    return [(NVJ, notebook_wave.build_patch({"mlops.dev/wave-complete": "true", "mlops.dev/wave-failed": None}))]


def written():
    """``[(kind, id, patch)]``: each object shape the collection writes."""
    out = []
    for source in (_sync_writes, _refresh_writes, _health_check_writes, _notification_writes, _nvj_writes):
        for index, ((api_version_or_group, kind), patch) in enumerate(source()):
            group = api_version_or_group.split("/")[0]
            out.append(((group, kind), "{0}-{1}-{2}".format(source.__name__.strip("_"), kind, index), patch))
    return out


WRITTEN = written()


# -- the tests ----------------------------------------------------------------------------------
def test_every_kind_has_a_test_crd_and_the_reference_covers_the_same_kinds():
    assert set(OURS) == set(KINDS)
    if REFERENCE:
        assert set(KINDS) <= set(REFERENCE)


def test_the_kinds_written_are_known():
    assert {kind for kind, _id, _patch in WRITTEN} == {APP, ARGOCD, NOTIFICATIONS, ISVC, NVJ}


@pytest.mark.parametrize("kind,ident,patch", WRITTEN, ids=[ident for _k, ident, _p in WRITTEN])
def test_each_written_field_is_declared_in_our_crd(kind, ident, patch):
    assert problems(_schema(OURS[kind]), patch) == []


@pytest.mark.parametrize("kind,ident,patch", WRITTEN, ids=[ident for _k, ident, _p in WRITTEN])
def test_each_written_field_is_declared_in_the_upstream_crd(kind, ident, patch):
    crd = _reference(kind)
    for version in crd["spec"]["versions"]:
        if version.get("served"):
            assert problems(version["schema"]["openAPIV3Schema"], patch) == [], version["name"]


RELEASE = {kind: crd for path in crds.argocd_release_crds() for kind, crd in _load_file(path).items()}


def _release(kind):
    if kind not in RELEASE:
        pytest.skip("the Argo CD release is not built here (.build/argocd-release; make control-plane)")
    return RELEASE[kind]


@pytest.mark.parametrize("kind", [APP, PROJECT], ids=["Application", "AppProject"])
def test_the_argo_cd_release_crds_agree_with_the_reference(kind):
    """The tests install the Application and AppProject CRDs of the Argo CD release they run; the reference
    copies are the check: same served versions, and each field the collection writes or reads declared."""
    crd = _release(kind)
    served = sorted(v["name"] for v in crd["spec"]["versions"] if v.get("served"))
    if kind in REFERENCE:
        assert served == sorted(v["name"] for v in REFERENCE[kind]["spec"]["versions"] if v.get("served"))
    for _kind, ident, patch in (w for w in WRITTEN if w[0] == kind):
        assert problems(_schema(crd), patch) == [], ident
    for path in READS.get(kind, ()):
        node, why = resolve(_schema(crd), path)
        assert node is not None, f"{path}: {why}"


def test_sync_operation_fields_are_exactly_argo_cds():
    """The operation is written whole: each of its fields at its place in Operation."""
    (_kind, patch), *_rest = _sync_writes()
    operation = patch["operation"]
    assert set(operation) == {"initiatedBy", "info", "sync", "retry"}
    assert operation["sync"]["syncStrategy"] == {"hook": {}}
    assert operation["retry"] == RETRY


@pytest.mark.parametrize("kind,path", [(kind, path) for kind, paths in READS.items() for path in paths])
def test_each_field_read_is_declared(kind, path):
    node, why = resolve(_schema(OURS[kind]), path)
    assert node is not None, "ours: " + why
    if kind in REFERENCE:
        node, why = resolve(_schema(REFERENCE[kind]), path)
        assert node is not None, "upstream: " + why


def test_a_misspelt_field_is_found():
    (_kind, patch), *_rest = _sync_writes()
    bad = copy.deepcopy(patch)
    bad["operation"]["sync"]["syncOption"] = ["Replace=true"]
    bad["operation"]["initiatedBy"]["automated"] = "no"
    found = problems(_schema(OURS[APP]), bad)
    assert "operation.sync.syncOption is not declared (a real API server prunes it)" in found
    assert "operation.initiatedBy.automated is str, the schema says boolean" in found
    checks = {"spec": {"resourceHealthChecks": [{"group": "g", "kind": "K", "lua": "x"}]}}
    assert problems(_schema(OURS[ARGOCD]), checks) == ["spec.resourceHealthChecks[].lua is not declared "
                                                       "(a real API server prunes it)"]


@pytest.mark.parametrize("kind", KINDS, ids=["/".join(k) for k in KINDS])
def test_our_crds_are_structural(kind):
    crd = OURS[kind]
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["metadata"]["name"] == "{0}.{1}".format(crd["spec"]["names"]["plural"], kind[0])
    for version in crd["spec"]["versions"]:
        schema = version["schema"]["openAPIV3Schema"]
        assert structural_problems(schema) == []
        assert schema["properties"]["metadata"] == {"type": "object"}
        assert {"apiVersion", "kind", "metadata", "spec"} <= set(schema["properties"])


@pytest.mark.parametrize("kind", KINDS, ids=["/".join(k) for k in KINDS])
def test_unknown_fields_are_kept_only_where_upstream_keeps_them_and_we_never_write(kind):
    ours = set(preserve_paths(_schema(OURS[kind])))
    assert ours <= PRESERVE_ALLOWED.get(kind, set())
    for _kind, ident, patch in WRITTEN:
        if _kind == kind:
            for path in ours:
                node = patch
                for step in _steps(path):
                    node = node.get(step) if isinstance(node, dict) else None
                assert node is None, "{0} writes under {1}".format(ident, path)
    if kind in REFERENCE:
        assert ours <= set(preserve_paths(_schema(REFERENCE[kind])))


@pytest.mark.parametrize("kind", KINDS, ids=["/".join(k) for k in KINDS])
def test_our_crds_declare_only_upstream_fields_with_upstream_types(kind):
    """Our schemas are a subset of the upstream ones: no invented field, no other type, same subresources."""
    crd, upstream = OURS[kind], _reference(kind)
    assert crd["spec"]["scope"] == upstream["spec"]["scope"]
    for version in crd["spec"]["versions"]:
        (theirs,) = [v for v in upstream["spec"]["versions"] if v["name"] == version["name"]]
        assert bool((version.get("subresources") or {}).get("status") is not None) == bool(
            (theirs.get("subresources") or {}).get("status") is not None)
        mine, reference = version["schema"]["openAPIV3Schema"], theirs["schema"]["openAPIV3Schema"]
        wrong = []
        for path, node in declared_paths(mine):
            other, why = resolve(reference, path)
            if other is None:
                wrong.append(why)
            elif node.get("type") != other.get("type") or bool(node.get("x-kubernetes-int-or-string")) != bool(
                    other.get("x-kubernetes-int-or-string")):
                wrong.append("{0}: ours {1}, upstream {2}".format(path, node.get("type"), other.get("type")))
            elif sorted(node.get("enum") or []) != sorted(other.get("enum") or []):
                wrong.append("{0}: enum ours {1}, upstream {2}".format(path, node.get("enum"), other.get("enum")))
        assert wrong == []
