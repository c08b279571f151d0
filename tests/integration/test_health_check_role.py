"""The argocd_health_check role, its module and its module_utils against the cluster: both targets (argocd-cm and
the ArgoCD CR), coexistence with other settings, idempotence, removal, check mode, diff, clear failures."""

import secrets

import pytest
import yaml

from harness import world
from ansible_collections.mlops.gitops.plugins.module_utils.argocd_config import Target
from tests.integration.playbook import assert_value_deprecated

HEALTH_LUA = world.HEALTH_LUA
KEY = world.HEALTH_KEY
ARGOCD = world.ARGOCD[0]
ROLE_TASK = "mlops.gitops.argocd_health_check : Apply the NotebookValidationJob health check to Argo CD"
OTHER_CHECK = {"group": "argoproj.io", "kind": "Rollout", "check": "return {status = 'Healthy'}\n"}
OTHER_DATA = {
    "url": "https://argocd.example.com",
    "resource.customizations.health.argoproj.io_Rollout": "return {status = 'Healthy'}\n",
    "timeout.reconciliation": "180s",
}


def lua_bytes():
    with open(HEALTH_LUA, "rb") as handle:
        return handle.read()


@pytest.fixture
def cfg():
    from ansible_collections.mlops.gitops.plugins.module_utils import argocd_health_check

    return argocd_health_check


def make_cm(api, namespace, data=None):
    return world.create(api, world.argocd_cm(namespace, OTHER_DATA if data is None else data))


def make_argocd(api, namespace, name="argocd", checks=None):
    return world.create(api, world.argocd(namespace, name, health_checks=checks or [OTHER_CHECK]))


def checks_of(api, namespace, name="argocd"):
    return api.get(ARGOCD, "ArgoCD", name, namespace)["spec"].get("resourceHealthChecks")


def cm_data(api, namespace):
    return api.get("v1", "ConfigMap", "argocd-cm", namespace)["data"]


# -- argocd_health_check through KubeApi (fast) ----------------------------------------------------------
def test_configmap_target_merges_idempotently_and_removes_only_ours(api, cfg, namespace):
    make_cm(api, namespace)
    script = lua_bytes().decode()
    first = cfg.install_health_check(api, namespace, "mlops.mlops.dev", "NotebookValidationJob", script)
    assert (first["changed"], first["target"]) == (True, "configmap")
    assert first["resource"] == f"ConfigMap {namespace}/argocd-cm"
    assert first["diff"]["before"] == {"data": {}} and first["diff"]["after"] == {"data": {KEY: script}}
    assert cm_data(api, namespace) == dict(OTHER_DATA, **{KEY: script})

    again = cfg.install_health_check(api, namespace, "mlops.mlops.dev", "NotebookValidationJob", script)
    assert again["changed"] is False

    removed = cfg.install_health_check(api, namespace, "mlops.mlops.dev", "NotebookValidationJob", state="absent")
    assert removed["changed"] is True and removed["diff"]["after"] == {"data": {}}
    assert cm_data(api, namespace) == OTHER_DATA
    assert cfg.install_health_check(api, namespace, "mlops.mlops.dev", "NotebookValidationJob", state="absent")[
        "changed"
    ] is False


def test_argocd_cr_target_keeps_other_checks_and_order(api, cfg, namespace):
    make_cm(api, namespace)  # present too, as the operator generates it: auto must still pick the CR
    extra = {"group": "", "kind": "Service", "check": "return {status = 'Healthy'}\n"}
    make_argocd(api, namespace, checks=[OTHER_CHECK, extra])
    ours = {"group": "mlops.mlops.dev", "kind": "NotebookValidationJob", "check": "return {status = 'Progressing'}\n"}

    first = cfg.install_health_check(api, namespace, ours["group"], ours["kind"], ours["check"])
    assert (first["changed"], first["target"]) == (True, "cr")
    assert checks_of(api, namespace) == [OTHER_CHECK, extra, ours]
    assert first["diff"]["after"] == {"spec": {"resourceHealthChecks": [OTHER_CHECK, extra, ours]}}
    assert KEY not in cm_data(api, namespace)

    newer = dict(ours, check=lua_bytes().decode())
    updated = cfg.install_health_check(api, namespace, ours["group"], ours["kind"], newer["check"])
    assert updated["changed"] is True
    assert checks_of(api, namespace) == [OTHER_CHECK, extra, newer]
    assert cfg.install_health_check(api, namespace, ours["group"], ours["kind"], newer["check"])["changed"] is False

    cfg.install_health_check(api, namespace, ours["group"], ours["kind"], state="absent")
    assert checks_of(api, namespace) == [OTHER_CHECK, extra]


def test_resolve_target_gives_the_object_to_write(api, cfg, namespace):
    """Issue 24: both resolve_target functions (health check, notifications) return one type, the Target."""
    make_cm(api, namespace)
    found = cfg.resolve_target(api, namespace)
    assert (found, found.choice) == (Target("v1", "ConfigMap", "argocd-cm", namespace), "configmap")
    make_argocd(api, namespace)
    found = cfg.resolve_target(api, namespace)
    assert (found, found.choice, found.describe()) == (
        Target(ARGOCD, "ArgoCD", "argocd", namespace), "cr", "ArgoCD {0}/argocd".format(namespace))


def test_removing_the_last_check_removes_the_field(api, cfg, namespace):
    make_argocd(api, namespace, checks=[{"group": "mlops.mlops.dev", "kind": "NotebookValidationJob", "check": "x"}])
    result = cfg.install_health_check(api, namespace, "mlops.mlops.dev", "NotebookValidationJob", state="absent")
    assert result["changed"] is True
    assert checks_of(api, namespace) is None
    spec = api.get(ARGOCD, "ArgoCD", "argocd", namespace)["spec"]
    assert spec["server"] == {"route": {"enabled": True}}


def test_check_mode_writes_nothing_on_either_target(api, cfg, namespace):
    make_cm(api, namespace)
    result = cfg.install_health_check(api, namespace, "mlops.mlops.dev", "NotebookValidationJob", "x", check_mode=True)
    assert result["changed"] is True and result["diff"]["after"] == {"data": {KEY: "x"}}
    assert cm_data(api, namespace) == OTHER_DATA
    make_argocd(api, namespace)
    result = cfg.install_health_check(api, namespace, "mlops.mlops.dev", "NotebookValidationJob", "x", check_mode=True)
    assert result["changed"] is True and result["target"] == "cr"
    assert checks_of(api, namespace) == [OTHER_CHECK]


def test_forcing_the_configmap_under_the_operator_warns(api, cfg, namespace):
    make_cm(api, namespace, data={})
    make_argocd(api, namespace)
    result = cfg.install_health_check(api, namespace, "g", "K", "x", target="configmap")
    assert result["target"] == "configmap" and cm_data(api, namespace) == {"resource.customizations.health.g_K": "x"}
    assert len(result["warnings"]) == 1 and "reverts edits to argocd-cm" in result["warnings"][0]
    # issue 22, finding 9, and issue 24: one spelling of the value, in the module, the role and the playbooks
    assert "use target cr (argocd_target in the install and uninstall playbooks, argocd_health_check_target for " \
        "the role) or auto" in result["warnings"][0], result["warnings"]
    assert checks_of(api, namespace) == [OTHER_CHECK]


@pytest.mark.parametrize(
    "setup, kwargs, message",
    [
        ("nothing", {}, "found neither ConfigMap {ns}/argocd-cm nor an ArgoCD resource"),
        ("nothing", {"target": "configmap"}, "ConfigMap {ns}/argocd-cm does not exist"),
        ("configmap", {"target": "cr"}, "namespace {ns} has no ArgoCD resource"),
        ("two_crs", {}, "namespace {ns} holds several ArgoCD resources (a, b); set argocd_name"),
        ("two_crs", {"argocd_name": "c"}, "ArgoCD {ns}/c does not exist"),
        ("nothing", {"state": "present", "check": ""}, "check (the Lua script) is required"),
    ],
)
def test_clear_failures(api, cfg, namespace, setup, kwargs, message):
    if setup == "configmap":
        make_cm(api, namespace)
    if setup == "two_crs":
        make_argocd(api, namespace, name="b")
        make_argocd(api, namespace, name="a")
    kwargs = dict({"check": "x"}, **kwargs)
    with pytest.raises(cfg.ConfigError) as err:
        cfg.install_health_check(api, namespace, "mlops.mlops.dev", "NotebookValidationJob", **kwargs)
    assert message.format(ns=namespace) in str(err.value)


@pytest.mark.parametrize("group, kind, what", [("x.io", "", "kind must be"), ("x.io", "Not A Kind", "kind must be"),
                                               ("X_io", "K", "group must be")])
def test_a_group_or_kind_argo_cd_cannot_key_is_refused_before_writing(api, playbook, namespace, group, kind, what):
    """Issue 22, finding 8: kind '' used to write the key resource.customizations.health.x.io_."""
    make_cm(api, namespace)
    task = {"name": "hc", "ignore_errors": True, "mlops.gitops.argocd_health_check": {
        "argocd_namespace": namespace, "group": group, "kind": kind, "check": "return {}"}}
    result = playbook.run([task]).result("hc")
    assert result.get("failed") is True and what in result["msg"] and "nothing was written" in result["msg"], result
    assert cm_data(api, namespace) == OTHER_DATA


def test_the_core_group_key_is_the_kind_alone(cfg):
    """Argo CD reads resource.customizations.health.<Kind> for the core group (settings.convertToOverrideKey)."""
    assert cfg.health_key("", "ConfigMap") == "resource.customizations.health.ConfigMap"
    assert cfg.health_key("mlops.mlops.dev", "NotebookValidationJob") == world.HEALTH_KEY


def test_two_argocd_resources_name_the_playbooks_variable(api, playbook, namespace):
    """Issue 22, finding 9: "set argocd_name" named a variable the install playbook did not have."""
    make_argocd(api, namespace, name="a")
    make_argocd(api, namespace, name="b")
    extra = {"argocd_namespace": namespace, "install_notifications": False}
    run = playbook.run(None, playbook="mlops.gitops.install", extra_vars=extra)
    assert run.rc != 0
    failed = [res for _name, res in run.tasks if res.get("failed")]
    assert "holds several ArgoCD resources (a, b); set argocd_name (in the install and uninstall playbooks" in \
        failed[0]["msg"], failed
    run = playbook.run(None, playbook="mlops.gitops.install", extra_vars=dict(extra, argocd_name="b"))
    assert run.rc == 0, run.stdout[-3000:]
    assert checks_of(api, namespace, "b")[-1]["kind"] == "NotebookValidationJob"
    assert checks_of(api, namespace, "a") == [OTHER_CHECK]
    run = playbook.run(None, playbook="mlops.gitops.uninstall",
                       extra_vars={"argocd_namespace": namespace, "uninstall_notifications": False, "argocd_name": "b"})
    assert run.rc == 0, run.stdout[-3000:]
    assert checks_of(api, namespace, "b") == [OTHER_CHECK]


def test_missing_namespace_is_named(api, cfg):
    missing = "no-argocd-" + secrets.token_hex(3)
    with pytest.raises(cfg.ConfigError, match=f"the Argo CD namespace {missing} does not exist.*openshift-gitops"):
        cfg.install_health_check(api, missing, "mlops.mlops.dev", "NotebookValidationJob", "x")


def test_several_crs_resolved_by_name(api, cfg, namespace):
    make_argocd(api, namespace, name="a")
    make_argocd(api, namespace, name="b")
    result = cfg.install_health_check(api, namespace, "g", "K", "x", argocd_name="b")
    assert result["resource"] == f"ArgoCD {namespace}/b"
    assert checks_of(api, namespace, "b")[-1] == {"group": "g", "kind": "K", "check": "x"}
    assert checks_of(api, namespace, "a") == [OTHER_CHECK]


def test_conflict_on_the_cr_is_re_read_and_merged(api, cfg, namespace, kube):
    make_argocd(api, namespace)
    kube.inject_fault(verb="patch", resource="argocds", namespace=namespace, code=409, count=1)
    result = cfg.install_health_check(api, namespace, "g", "K", "x")
    assert result["changed"] is True
    assert checks_of(api, namespace) == [OTHER_CHECK, {"group": "g", "kind": "K", "check": "x"}]
    patches = [e for e in kube.request_log if e["verb"] == "patch" and e["resource"] == "argocds"]
    assert [e["code"] for e in patches] == [409, 200]


# -- the role and module through ansible-playbook ----------------------------------------------------------
def role(**variables):
    return [{"role": "mlops.gitops.argocd_health_check", "vars": variables}]


def test_role_on_argocd_cm_diff_idempotence_and_exact_bytes(api, playbook, namespace):
    make_cm(api, namespace)
    first = playbook.run([], roles=role(argocd_health_check_namespace=namespace), diff=True)
    assert first.rc == 0, first.stdout + first.stderr
    result = first.result(ROLE_TASK)
    assert result["changed"] is True and result["target"] == "configmap"
    assert yaml.safe_load(result["diff"]["after"]) == {"data": {KEY: lua_bytes().decode()}}
    data = cm_data(api, namespace)
    assert data[KEY].encode("utf-8") == lua_bytes()
    assert {k: v for k, v in data.items() if k != KEY} == OTHER_DATA

    second = playbook.run([], roles=role(argocd_health_check_namespace=namespace))
    assert second.rc == 0 and second.result(ROLE_TASK)["changed"] is False
    assert second.stats.get("changed") == 0


@pytest.mark.parametrize("spelling", ["cr", "argocd_cr"])
def test_role_on_argocd_cr_check_mode_then_apply_then_remove(api, playbook, namespace, spelling):
    """Issue 24: the target is ``cr`` everywhere; the role's former value ``argocd_cr`` still works, read as ``cr``
    with a deprecation warning that names the variable and the value to set instead."""
    make_argocd(api, namespace)
    variables = {"argocd_health_check_namespace": namespace, "argocd_health_check_target": spelling}
    dry = playbook.run([], roles=role(**variables), check=True, diff=True)
    assert dry.rc == 0, dry.stdout + dry.stderr
    assert dry.result(ROLE_TASK)["changed"] is True and dry.result(ROLE_TASK)["target"] == "cr"
    if spelling == "cr":
        assert not dry.result(ROLE_TASK).get("deprecations"), dry.result(ROLE_TASK)
    else:
        assert_value_deprecated(dry.result(ROLE_TASK), "argocd_health_check_target", "argocd_cr", "cr")
    assert len(yaml.safe_load(dry.result(ROLE_TASK)["diff"]["after"])["spec"]["resourceHealthChecks"]) == 2
    assert checks_of(api, namespace) == [OTHER_CHECK]

    applied = playbook.run([], roles=role(**variables))
    assert applied.rc == 0 and applied.result(ROLE_TASK)["changed"] is True
    checks = checks_of(api, namespace)
    assert checks[0] == OTHER_CHECK and checks[1]["check"].encode("utf-8") == lua_bytes()
    assert (checks[1]["group"], checks[1]["kind"]) == ("mlops.mlops.dev", "NotebookValidationJob")

    removed = playbook.run([], roles=role(argocd_health_check_state="absent", **variables))
    assert removed.rc == 0 and removed.result(ROLE_TASK)["changed"] is True
    assert checks_of(api, namespace) == [OTHER_CHECK]


def test_module_failures_missing_namespace_and_forbidden(api, playbook, namespace, kube, cluster, tmp_path):
    """Credentials pass through module_defaults for the action group; a 403 names the rights needed.

    host + api_key, without a kubeconfig: with kubernetes client >= 30 a loaded kubeconfig's token
    (its refresh hook sets ``BearerToken``) wins over kubernetes.core's ``api_key``."""
    make_cm(api, namespace)
    with open(cluster.kubeconfig) as handle:
        server = yaml.safe_load(handle)["clusters"][0]["cluster"]
    missing_ns = "nowhere-" + secrets.token_hex(3)  # not derived from the token: Ansible masks that (no_log)
    reader = [{"verbs": ["get", "list"], "apiGroups": ["*"], "resources": ["*"]}]
    with cluster.restricted(tmp_path, cluster_rules=reader, name="hc-reader") as (_, kubeconfig):
        with open(kubeconfig) as handle:
            token = yaml.safe_load(handle)["users"][0]["user"]["token"]
        play = [
            {
                "name": "failures",
                "hosts": "localhost",
                "gather_facts": False,
                "module_defaults": {"group/mlops.gitops.gitops": {
                    "api_key": token, "host": server["server"], "ca_cert": server["certificate-authority"]}},
                "tasks": [
                    {
                        "name": "forbidden",
                        "mlops.gitops.argocd_health_check": {"argocd_namespace": namespace, "check": "return {}"},
                        "ignore_errors": True,
                    },
                    {
                        "name": "missing namespace",
                        "mlops.gitops.argocd_health_check": {"argocd_namespace": missing_ns, "check": "return {}"},
                        "ignore_errors": True,
                    },
                ],
            }
        ]
        path = tmp_path / "failures.yml"
        path.write_text(yaml.safe_dump(play))
        run = playbook.run(None, playbook=str(path), env={"K8S_AUTH_KUBECONFIG": "", "KUBECONFIG": ""})
    forbidden = run.result("forbidden")
    assert forbidden.get("failed") is True, forbidden
    assert forbidden["msg"].startswith(f"insufficient rights: patch ConfigMap {namespace}/argocd-cm")
    assert f"lacks patch on configmaps in namespace {namespace}; it needs list on argocds.argoproj.io" in \
        forbidden["msg"], forbidden["msg"]
    assert "else on configmaps/argocd-cm" in forbidden["msg"]
    missing = run.result("missing namespace")
    assert missing.get("failed") is True
    assert f"the Argo CD namespace {missing_ns} does not exist" in missing["msg"]
    assert KEY not in cm_data(api, namespace)
