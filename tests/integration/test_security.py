"""Security (issue 8): whoever can write a NotebookValidationJob must not gain the controller's rights.

- Cross-namespace targets are refused unless the administrator allows the namespace or the target
  namespace opts in; one refused target stops the whole list.
- Credentials, namespaces, RBAC and API definitions are never targets.
- YAML bombs, deep nesting and oversized annotations are refused without using memory (tracemalloc).
- Nothing from an annotation is templated or executed, not even by a real ansible-playbook run.
- The ClusterRole of roles/notebook_controller_deploy is enough for every feature, and every grant
  in it is used (request log of the whole scenario run as that restricted user).
"""

import json
import os
import tracemalloc
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible_collections.mlops.gitops.plugins.module_utils.reconcile import FEATURES, JobReconcile, feature_modules
from ansible_collections.mlops.gitops.plugins.module_utils import nvj, trigger_parse, trigger_policy, trigger_verbs
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

from tests.integration.playbook import PlaybookRunner
from tests.integration.test_faults import fast_api, reconcile
from harness import world
from harness.world import APP, APP_NAME, DEPLOY, DEPLOY_NAME, ISVC, JOB_NAME

REPO = Path(__file__).resolve().parents[2]
DEPLOY_ROLE = REPO / "roles" / "notebook_controller_deploy"
# Bytes a refused annotation may cost, whatever its content. The 16 KiB size cap is what bounds it: the
# worst case measured is ~5 MiB, 8,000 one-character entries in a flow list (PyYAML composes every node
# before the entry count is checked); anchors, aliases and depth are refused while composing.
MEMORY_BOUND = 6 * 2 ** 20


def entry(kind, name, namespace=None, api_version=None, action="restart", **extra):
    api_version = api_version or trigger_verbs.KINDS.get(kind, "v1")
    fields = dict(apiVersion=api_version, kind=kind, name=name, action=action, **extra)
    if namespace:
        fields["namespace"] = namespace
    return "- " + json.dumps(fields) + "\n"


def set_trigger(api, namespace, text):
    api.patch(nvj.API_VERSION, nvj.KIND, JOB_NAME, {"metadata": {"annotations": {nvj.ANN_TRIGGER: text}}},
              namespace=namespace)


def deployment(namespace, name=DEPLOY_NAME):
    return world.deployment(namespace, name, replicas=1, selector=name)


def restarted(api, namespace, name="feature-server"):
    template = api.get(*DEPLOY, name, namespace)["spec"]["template"]["metadata"]
    return (template.get("annotations") or {}).get("kubectl.kubernetes.io/restartedAt")


# -- cross-namespace policy ------------------------------------------------------------------------
@pytest.fixture
def two_spaces(api, kube, namespace, spaces):
    """The job's namespace (with a Deployment) and another one with a Deployment of the same name."""
    (other,) = spaces(1)
    world.load_scenario(kube, namespace, trigger=entry("Deployment", "feature-server"))
    kube.load([deployment(other)])
    return namespace, other


def test_other_namespace_is_refused_and_nothing_fires_anywhere(api, kube, two_spaces):
    home, other = two_spaces
    set_trigger(api, home, entry("Deployment", "feature-server") + entry("Deployment", "feature-server", other))
    start = len(kube.request_log)
    run = reconcile(fast_api(api), home)
    during = kube.request_log[start:]
    step = run.steps["trigger"]
    assert run.failed == ["trigger"] and [r["what"] for r in step["refused"]] == [
        "restart:apps/v1/Deployment:{0}/feature-server".format(other)]
    assert other in step["msg"] and "allowed_namespaces" in step["msg"] and trigger_policy.ANN_ALLOW_FROM in step["msg"]
    # The whole list was refused: not even the same-namespace target fired, and nothing was written elsewhere.
    assert restarted(api, home) is None and restarted(api, other) is None
    assert [e for e in world.writes(during) if e["resource"] == "deployments"] == []
    assert [e for e in during if e.get("namespace") == other] == []
    assert len(world.events(api, home, "TriggerRefused")) == 1


@pytest.mark.parametrize("allowed", [["*"], ["{other}"]])
def test_administrator_allows_a_namespace(api, kube, two_spaces, allowed):
    home, other = two_spaces
    set_trigger(api, home, entry("Deployment", "feature-server", other))
    run = reconcile(fast_api(api), home, allowed_namespaces=[a.format(other=other) for a in allowed])
    assert not run.failed, run.steps["trigger"]
    assert restarted(api, other) is not None


@pytest.mark.parametrize("opt_in, fires", [("{home}", True), ("*", True), ("someone-else", False), ("", False)])
def test_target_namespace_opts_in(api, kube, two_spaces, opt_in, fires):
    home, other = two_spaces
    api.patch("v1", "Namespace", other,
              {"metadata": {"annotations": {trigger_policy.ANN_ALLOW_FROM: opt_in.format(home=home)}}})
    set_trigger(api, home, entry("Deployment", "feature-server", other))
    run = reconcile(fast_api(api), home)
    assert (restarted(api, other) is not None) is fires
    assert bool(run.failed) is not fires


def test_an_application_that_is_not_the_parent_is_refused(api, kube, namespace, spaces):
    (control,) = spaces(1)
    kube.load([dict(world.scenario(control, app=True)[0], metadata={"name": "payments", "namespace": control})])
    world.load_scenario(kube, namespace, trigger=entry("Application", "payments", control, action="sync"))
    run = reconcile(fast_api(api), namespace)
    assert run.failed == ["trigger"] and "is not the parent Application" in run.steps["trigger"]["msg"]
    assert "operation" not in api.get(*APP, "payments", control)



def test_a_job_cannot_claim_another_teams_application_to_sync_it(api, kube, namespace, spaces):
    """The parent is read from labels/annotations the job's author writes. Claiming an Application
    that does not deploy to the job's namespace (and does not list the job among its resources) must
    not give its author the power to sync or refresh that Application."""
    control, victim_ns = spaces(2)
    victim = world.scenario(victim_ns)[0]
    victim["metadata"] = {"name": "payments", "namespace": control}
    kube.load([victim])
    world.load_scenario(kube, namespace, app=False, trigger=entry("Application", "payments", control, action="sync"))
    api.patch(nvj.API_VERSION, nvj.KIND, JOB_NAME, {"metadata": {"labels": {nvj.LABEL_INSTANCE: "payments"}}},
              namespace=namespace)
    reconcile(fast_api(api), namespace, argocd_namespace=control)
    assert "operation" not in api.get(*APP, "payments", control), "a job in {0} synced {1}/payments".format(
        namespace, control)


def test_a_job_cannot_count_itself_into_another_teams_application(api, kube, namespace, spaces):
    """Same claim, status side: a job labelled with another team's Application must not put a
    failure into that Application's notebook status (its notifications would fire on it)."""
    control, victim_ns = spaces(2)
    victim = world.scenario(victim_ns)[0]
    victim["metadata"] = {"name": "payments", "namespace": control}
    kube.load([victim])
    world.load_scenario(kube, namespace, app=False, trigger="")
    api.patch(nvj.API_VERSION, nvj.KIND, JOB_NAME, {"metadata": {"labels": {nvj.LABEL_INSTANCE: "payments"}}},
              namespace=namespace)
    reconcile(fast_api(api), namespace, argocd_namespace=control)
    assert nvj.ANN_NOTEBOOK_STATUS not in nvj.annotations(api.get(*APP, "payments", control))

# -- kinds that are never targets ------------------------------------------------------------------
FORBIDDEN = [
    ("v1", "Secret"), ("v1", "Namespace"), ("v1", "ServiceAccount"), ("v1", "ConfigMap"),
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"), ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
]
SENSITIVE_RESOURCES = {"secrets", "serviceaccounts", "configmaps", "roles", "clusterroles", "rolebindings",
                       "clusterrolebindings", "customresourcedefinitions"}


@pytest.mark.parametrize("api_version, kind", FORBIDDEN, ids=[k for _, k in FORBIDDEN])
def test_sensitive_kinds_are_refused_before_any_request(api, kube, namespace, api_version, kind):
    world.load_scenario(kube, namespace, trigger=entry("Deployment", "feature-server")
               + entry(kind, "target", api_version=api_version, action="refresh"))
    start = len(kube.request_log)
    run = reconcile(fast_api(api), namespace)
    assert run.failed == ["trigger"]
    assert "entry 2 of 2: field 'kind': {0} is never a trigger target".format(kind) in run.steps["trigger"]["msg"]
    touched = {e["resource"] for e in kube.request_log[start:]}
    assert not touched & SENSITIVE_RESOURCES and "namespaces" not in touched, touched
    assert restarted(api, namespace) is None  # the valid entry did not fire either
    assert len(world.events(api, namespace, "TriggerInvalid")) == 1


# -- hostile YAML ----------------------------------------------------------------------------------
def billion_laughs(levels=9):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append("a{0}: &a{0} [{1}]".format(level, ",".join(["*a{0}".format(level - 1)] * 10)))
    return "\n".join(lines) + "\n"


HOSTILE = {
    "billion-laughs": billion_laughs(),
    "billion-laughs-in-a-list": "- " + billion_laughs().replace("\n", "\n  "),
    "alias-merge-key": "- &e {apiVersion: apps/v1, kind: Deployment, name: x, action: restart}\n- <<: *e\n",
    "deep-flow-nesting": "[" * 6000 + "]" * 6000,
    "deep-block-nesting": "".join("  " * i + "- \n" for i in range(100)),
    "oversized": "- " + json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "name": "x" * 200,
                                    "action": "restart"}) + "\n" + "# padding\n" * 10000,
    "many-entries": "- {}\n" * 3000,
    "many-entries-flow": "[" + "0," * 8000 + "0]",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_annotations_are_refused_within_a_small_memory_bound(name):
    text = HOSTILE[name]
    tracemalloc.start()
    try:
        with pytest.raises(trigger_parse.TriggerError) as caught:
            trigger_parse.parse_triggers(text, "team-a")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, "{0}: {1} bytes".format(name, peak)
    assert "entry" in str(caught.value) or "YAML" in str(caught.value) or "bytes" in str(caught.value) \
        or "allowed" in str(caught.value)


@pytest.mark.parametrize("name", ["billion-laughs", "oversized", "deep-flow-nesting"])
def test_hostile_annotation_on_a_job_fails_the_step_cheaply(api, kube, namespace, name):
    """The same inputs through a whole reconcile (the annotation as large as the API server allows)."""
    world.load_scenario(kube, namespace, trigger=HOSTILE[name])
    client = fast_api(api)
    reconcile(client, namespace)  # warm the client (discovery, connection pool)
    tracemalloc.start()
    try:
        run = reconcile(client, namespace)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert run.failed == ["trigger"] and run.steps["trigger"]["msg"], run.steps
    assert peak < MEMORY_BOUND + 4 * len(HOSTILE[name]), peak  # the job itself is read, parsed and held
    assert restarted(api, namespace) is None


# -- nothing is templated or executed ----------------------------------------------------------------
def canary(tmp_path, label):
    return tmp_path / "pwned-{0}-{1}".format(label, os.urandom(3).hex())


def injection_annotations(canary_file):
    lookup = "{{{{ lookup('pipe', 'touch {0}') }}}}".format(canary_file)
    return [
        "- {{apiVersion: apps/v1, kind: Deployment, name: \"{0}\", action: restart}}\n".format(lookup),
        "- apiVersion: apps/v1\n  kind: Deployment\n  name: feature-server\n  action: \"{0}\"\n".format(lookup),
        "- !!python/object/apply:os.system [\"touch {0}\"]\n".format(canary_file),
        "!!python/object/apply:subprocess.check_call [[touch, \"{0}\"]]\n".format(canary_file),
        lookup + "\n",
    ]


def test_annotation_content_is_data_in_the_parser(tmp_path):
    canary_file = canary(tmp_path, "parse")
    for text in injection_annotations(canary_file):
        with pytest.raises(trigger_parse.TriggerError):
            trigger_parse.parse_triggers(text, "team-a")
    assert not canary_file.exists()


def test_annotation_content_is_never_templated_by_a_playbook_run(api, kube, namespace, playbook, tmp_path):
    """The controller role in ansible-playbook, on a job whose annotations and spec carry Jinja and
    Python tags: every run refuses or ignores them, the canary file is never created, and the text
    comes back as plain data in the task result."""
    canary_file = canary(tmp_path, "playbook")
    lookup = "{{{{ lookup('pipe', 'touch {0}') }}}}".format(canary_file)
    world.load_scenario(kube, namespace)
    api.patch(nvj.API_VERSION, nvj.KIND, JOB_NAME, {"metadata": {"annotations": {
        "mlops.dev/note": lookup, nvj.ANN_SYNC_WAVE: lookup}},
        # the CRD's pattern requires a .ipynb path; Jinja passes it when it ends so
        "spec": {"notebook": {"path": lookup + ".ipynb"}}}, namespace=namespace)
    results = []
    for text in injection_annotations(canary_file)[::2]:  # Jinja in a name, a Python tag, a bare Jinja value
        set_trigger(api, namespace, text)
        res = playbook.run([], roles=[{"role": "mlops.gitops.notebook_controller", "vars": {
            "notebook_controller_name": JOB_NAME, "notebook_controller_namespace": namespace,
            "notebook_controller_argocd_namespace": namespace}}])
        results.append(res.result("mlops.gitops.notebook_controller : Reconcile the NotebookValidationJob"))
        assert not canary_file.exists(), res.stdout[-2000:]
    assert all(r.get("failed") for r in results), [r.get("msg") for r in results]
    assert "lookup('pipe'" in results[0]["msg"]  # echoed back verbatim, as data
    assert not canary_file.exists()


# -- RBAC: exactly the ClusterRole ---------------------------------------------------------------------
# Grants that ansible-operator itself needs and our code never calls, with the reason. The only place.
OPERATOR_ONLY = {
    ("mlops.mlops.dev", "notebookvalidationjobs", "watch"):
        "ansible-operator's informer watches the jobs it reconciles (watches.yaml)",
}


def rendered_cluster_role():
    """The ClusterRole as roles/notebook_controller_deploy renders it (defaults + vars + template)."""
    values = {}
    for part in ("defaults", "vars"):
        values.update(yaml.safe_load((DEPLOY_ROLE / part / "main.yml").read_text()))
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters["to_json"] = json.dumps
    text = env.from_string((DEPLOY_ROLE / "templates" / "rbac.yaml.j2").read_text()).render(**values)
    # The controller's own; <name>-metrics-auth and <name>-metrics-reader serve the metrics endpoint (issue 14).
    roles = [doc for doc in yaml.safe_load_all(text) if doc and doc["kind"] == "ClusterRole"
             and doc["metadata"]["name"] == values["notebook_controller_deploy_name"]]
    assert len(roles) == 1
    return roles[0]


def grants(rules):
    return {(g, r, v) for rule in rules for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}


def every_action_trigger(home, other, control):
    return "".join([
        entry("InferenceService", "predictor", action="restart"),
        entry("InferenceService", "predictor", action="rollout"),
        entry("Deployment", "feature-server", action="restart"),
        entry("StatefulSet", "store", action="rollout"),
        entry("DaemonSet", "agent", action="refresh"),
        entry("Deployment", "feature-server", other, action="restart"),  # the namespace opted in
        entry("Application", APP_NAME, control, action="refresh", mode="hard"),
        entry("Application", APP_NAME, control, action="sync"),
    ])


def controller_world(kube, home, other, control):
    objs = [o for o in world.scenario(home) if o["kind"] not in ("Application", nvj.KIND)]
    app = world.scenario(control)[0]
    app["spec"]["destination"]["namespace"] = home  # the Application deploys the jobs' namespace
    job_ok = [o for o in world.scenario(home, trigger=every_action_trigger(home, other, control))
              if o["kind"] == nvj.KIND][0]
    job_ok["metadata"]["labels"][nvj.LABEL_INSTANCE] = APP_NAME
    failed = json.loads(json.dumps(job_ok))
    failed["metadata"].update(name="smoke-test")
    failed["metadata"]["annotations"].pop(nvj.ANN_TRIGGER)
    failed["status"].update(phase="Failed", message="ModuleNotFoundError: No module named 'xgboost'")
    running = json.loads(json.dumps(failed))
    running["metadata"]["name"] = "nightly"
    running["status"] = {"phase": "ValidationRunning", "startTime": failed["status"]["startTime"]}
    sts = dict(deployment(home, "store"), kind="StatefulSet")
    daemon = dict(deployment(home, "agent"), kind="DaemonSet")
    done = world.after_pods(kube.load(objs + [app, sts, daemon, deployment(other)]))
    world.complete_at(job_ok, done)
    world.complete_at(failed, done)
    kube.load([job_ok, failed, running])
    return [JOB_NAME, "smoke-test", "nightly"]


@pytest.fixture(scope="module")
def rbac_scenario(cluster, tmp_path_factory):
    """The whole controller scenario as the ClusterRole's user, run once for the RBAC tests below:
    every job reconciled in-process as the action plugin does, then the plugin in ansible-playbook
    (namespace mode, as the cron/AWX reconcile). Returns what the tests inspect."""
    if cluster.proxy is None:
        pytest.skip("needs the local control plane's request log")
    kube = cluster
    admin = KubeApi.from_auth(kubeconfig=cluster.kubeconfig)
    home, other, control = ("rbac-{0}-{1}".format(label, os.urandom(3).hex()) for label in ("jobs", "other", "argocd"))
    for name in (home, other, control):
        admin.create("v1", "Namespace", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    tmp = tmp_path_factory.mktemp("rbac")
    rules = rendered_cluster_role()["rules"]
    controller = cluster.restricted(tmp, cluster_rules=rules, name="notebook-controller")
    user, kubeconfig = controller.__enter__()
    try:
        admin.patch("v1", "Namespace", other, {"metadata": {"annotations": {trigger_policy.ANN_ALLOW_FROM: home}}})
        names = controller_world(kube, home, other, control)
        restricted = KubeApi.from_auth(kubeconfig=kubeconfig)
        statuses = dict((n, admin.get(nvj.API_VERSION, nvj.KIND, n, home)["status"]) for n in names)
        start = len(kube.request_log)
        options = {"allowed_namespaces": [], "argocd_namespace": control, "trigger_annotation": nvj.ANN_TRIGGER,
                   "min_interval": 0}
        runs = {}
        for name in names:
            run = JobReconcile(restricted, feature_modules(), options, False)
            run.run(restricted.get(nvj.API_VERSION, nvj.KIND, name, home), FEATURES)
            runs[name] = run
        task = {"name": "all", "register": "out", "mlops.gitops.notebook_reconcile": {
            "namespaces": [home], "argocd_namespace": control, "min_interval": 0}}
        playbook = PlaybookRunner(cluster, tmp).run(
            [task], env={"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig}).result("all")
        log = [e for e in kube.request_log[start:] if e.get("user") == user]
        yield {"home": home, "control": control, "names": names, "rules": rules, "runs": runs,
               "playbook": playbook, "log": log, "statuses": statuses, "admin": admin}
    finally:
        controller.__exit__(None, None, None)
        for name in (home, other, control):
            admin.delete("v1", "Namespace", name)


def test_the_cluster_role_is_enough_for_every_feature(rbac_scenario):
    s, admin = rbac_scenario, rbac_scenario["admin"]
    for name, run in s["runs"].items():
        assert not run.failed, (name, run.steps)
    assert not s["playbook"].get("failed"), s["playbook"].get("msg")
    assert [e for e in s["log"] if e["code"] == 403] == []
    assert run_fired(admin, s["home"]) == ["succeeded"] * 8
    used = {(e["group"], e["resource"], e["verb"]) for e in s["log"] if e["resource"] and e["verb"] != "discovery"}
    assert used <= grants(s["rules"])
    app = admin.get(*APP, APP_NAME, s["control"])
    status = json.loads(nvj.annotations(app)[nvj.ANN_NOTEBOOK_STATUS])
    assert (status["total"], status["succeeded"], status["failed"], status["running"]) == (3, 1, 1, 1)
    assert app["operation"]["initiatedBy"]["username"] == "mlops-gitops"
    assert admin.get(*ISVC, "predictor", s["home"])["spec"]["predictor"]["annotations"]
    job = admin.get(nvj.API_VERSION, nvj.KIND, "smoke-test", s["home"])
    assert nvj.annotations(job)[nvj.ANN_WAVE_FAILED] == "3"


def test_the_controller_never_writes_status_or_adds_finalizers(rbac_scenario):
    s = rbac_scenario
    assert s["log"] and [e for e in s["log"] if e.get("subresource")] == []
    for name in s["names"]:
        job = s["admin"].get(nvj.API_VERSION, nvj.KIND, name, s["home"])
        assert job["status"] == s["statuses"][name] and not nvj.metadata(job).get("finalizers")


def test_every_grant_of_the_cluster_role_is_used(rbac_scenario):
    used = {(e["group"], e["resource"], e["verb"]) for e in rbac_scenario["log"] if e["resource"]}
    unused = grants(rbac_scenario["rules"]) - used - set(OPERATOR_ONLY)
    assert unused == set(), "granted but never used by any feature: {0}".format(sorted(unused))


def run_fired(api, namespace):
    record = world.trigger_record(world.get_job(api, namespace))
    return [t["result"] for t in record["targets"]]


def test_the_restricted_user_is_really_restricted(api, cluster, namespace, tmp_path):
    """The checks above mean something only if kube-apiserver enforces the ClusterRole for this account."""
    cluster.load([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": namespace},
                   "data": {}}, world.pod(namespace, "predictor-x")])
    from kubernetes import client, config

    with cluster.restricted(tmp_path, cluster_rules=rendered_cluster_role()["rules"]) as (_, kubeconfig):
        core = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
        with pytest.raises(client.ApiException) as denied:
            core.read_namespaced_secret("s", namespace)
        assert denied.value.status == 403
        with pytest.raises(client.ApiException) as denied:
            core.patch_namespaced_pod("predictor-x", namespace, {"metadata": {"labels": {"a": "b"}}})
        assert denied.value.status == 403


def test_without_one_verb_the_reconcile_fails_with_the_documented_403(api, playbook, cluster, namespace, tmp_path):
    """The ClusterRole less ``patch`` on NotebookValidationJobs: the wave step is refused by the real RBAC
    authorizer, and the message says who lacks which right and how to fix it."""
    world.load_scenario(cluster, namespace)
    rules = [dict(rule, verbs=[v for v in rule["verbs"] if v != "patch"])
             if "notebookvalidationjobs" in rule["resources"] else rule for rule in rendered_cluster_role()["rules"]]
    with cluster.restricted(tmp_path, cluster_rules=rules, name="controller-less-patch") as (_, kubeconfig):
        task = {"name": "one", "register": "out", "ignore_errors": True, "mlops.gitops.notebook_reconcile": {
            "name": JOB_NAME, "namespace": namespace, "argocd_namespace": namespace, "min_interval": 0}}
        res = playbook.run([task], env={"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig}).result("one")
    assert res.get("failed") is True
    assert res["steps"]["wave"]["status"] == 403, res["steps"]["wave"]
    assert "may not patch NotebookValidationJob {0}/{1}".format(namespace, JOB_NAME) in res["msg"], res["msg"]
    assert "grant it that right" in res["msg"], res["msg"]


def test_without_namespaces_get_the_refusal_names_the_missing_right(api, kube, cluster, playbook, two_spaces,
                                                                      tmp_path):
    """Issue 22, finding 9: the target namespace does opt in, but the account may not read it. The refusal
    must say that right is missing, not tell the user to add the annotation the namespace already has."""
    home, other = two_spaces
    api.patch("v1", "Namespace", other, {"metadata": {"annotations": {trigger_policy.ANN_ALLOW_FROM: home}}})
    set_trigger(api, home, entry("Deployment", "feature-server", other))
    rules = [rule for rule in rendered_cluster_role()["rules"] if "namespaces" not in rule["resources"]]
    with cluster.restricted(tmp_path, cluster_rules=rules, name="controller-less-namespaces") as (_, kubeconfig):
        task = {"name": "one", "register": "out", "ignore_errors": True, "mlops.gitops.notebook_reconcile": {
            "name": JOB_NAME, "namespace": home, "argocd_namespace": home, "min_interval": 0}}
        res = playbook.run([task], env={"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig}).result("one")
    msg = res["steps"]["trigger"]["msg"]
    assert res.get("failed") is True and restarted(api, other) is None
    assert "whether namespace {0} opts in (annotation {1}) cannot be read".format(
        other, trigger_policy.ANN_ALLOW_FROM) in msg, msg
    assert "needs get on namespaces" in msg and "(HTTP 403)" in msg, msg
    assert "must opt in" not in msg, msg
