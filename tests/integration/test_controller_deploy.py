"""The role mlops.gitops.notebook_controller_deploy applied by a real ansible-playbook: every object with
the right content, a second run settles, check mode writes nothing, ``state: absent`` removes what it made.

Object names carry the test namespace's random suffix so the cluster-scoped ClusterRole and binding of one
test never meet another's (or a real install's) on a shared cluster."""

import re
from pathlib import Path

import yaml

from harness.rbac import LEADER, USED, granted, rights

REPO = Path(__file__).resolve().parents[2]
ROLE = "mlops.gitops.notebook_controller_deploy"
PERMISSIONS = yaml.safe_load((REPO / "roles" / "notebook_controller_deploy" / "vars" / "main.yml").read_text())
WRITES = {"create", "update", "patch", "delete", "deletecollection"}

# Everything but the defaults, so a variable the templates drop or mangle shows.
SETTINGS = {
    "notebook_controller_deploy_image": "registry.example.com/team/mlops-gitops-controller:1.2.3",
    "notebook_controller_deploy_image_pull_policy": "Always",
    "notebook_controller_deploy_watch_namespaces": ["team-a", "team-b"],
    "notebook_controller_deploy_argocd_namespace": "openshift-gitops",
    "notebook_controller_deploy_allowed_namespaces": ["serving", "models"],
    "notebook_controller_deploy_trigger_annotation": "gitops.mlops.dev/on-success-trigger",
    "notebook_controller_deploy_min_interval": 30,
    "notebook_controller_deploy_features": ["wave", "status"],
    "notebook_controller_deploy_running_requeue": 5,
    "notebook_controller_deploy_announced_requeue_max": 90,
    "notebook_controller_deploy_poll_state": "/var/run/mlops/polls.json",
    "notebook_controller_deploy_reconcile_period": "3m",
    "notebook_controller_deploy_max_concurrent_reconciles": 4,
}

# The same settings as an AWX survey or -e key=value sends them: text.
AS_TEXT = {key: ", ".join(value) if isinstance(value, list) else str(value) for key, value in SETTINGS.items()}


def deploy(playbook, name, namespace, check=False, **overrides):
    extra = dict(SETTINGS, notebook_controller_deploy_name=name, notebook_controller_deploy_namespace=namespace)
    extra.update(overrides)
    result = playbook.run([], roles=[ROLE], check=check, diff=check, extra_vars=extra)
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def controller_name(namespace):
    return "mlops-gitops-controller-" + namespace.rsplit("-", 1)[1]


def objects(api, name, namespace):
    """The role's objects as (kind, namespace, name) -> live object or None."""
    rbac = "rbac.authorization.k8s.io/v1"
    wanted = [
        ("v1", "Namespace", None, namespace),
        ("v1", "ServiceAccount", namespace, name),
        (rbac, "ClusterRole", None, name),
        (rbac, "ClusterRoleBinding", None, name),
        (rbac, "Role", namespace, name + "-leader-election"),
        (rbac, "RoleBinding", namespace, name + "-leader-election"),
        ("apps/v1", "Deployment", namespace, name),
    ]
    return {(kind, ns, obj_name): api.get(version, kind, obj_name, ns) for version, kind, ns, obj_name in wanted}


def delete_if_present(api, name, namespace, own_namespace):
    """Teardown for a failed test: the cluster-scoped objects (and a namespace the role created) would leak."""
    for (kind, ns, obj_name), obj in objects(api, name, namespace).items():
        if obj is not None and ns is None and (kind != "Namespace" or own_namespace):
            version = "v1" if kind == "Namespace" else "rbac.authorization.k8s.io/v1"
            api.delete(version, kind, obj_name)


def expand_watches(env):
    """watches.yaml as ansible-operator reads it in the manager container (``${VAR}`` from its environment)."""
    text = (REPO / "watches.yaml").read_text()
    return yaml.safe_load(re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], text))[0]


def assert_installed(api, name, namespace):
    live = objects(api, name, namespace)
    missing = [key for key, obj in live.items() if obj is None]
    assert not missing, missing

    account = {"kind": "ServiceAccount", "name": name, "namespace": namespace}
    cluster_role = live[("ClusterRole", None, name)]
    assert cluster_role["rules"] == PERMISSIONS["notebook_controller_deploy_permissions"]
    assert granted(cluster_role["rules"]) == rights(USED)
    binding = live[("ClusterRoleBinding", None, name)]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}
    assert binding["subjects"] == [account]
    leader = live[("Role", namespace, name + "-leader-election")]
    assert leader["rules"] == PERMISSIONS["notebook_controller_deploy_leader_permissions"]
    assert granted(leader["rules"]) == rights(LEADER)
    leader_binding = live[("RoleBinding", namespace, name + "-leader-election")]
    assert leader_binding["roleRef"]["name"] == name + "-leader-election"
    assert leader_binding["subjects"] == [account]

    deployment = live[("Deployment", namespace, name)]
    pod = deployment["spec"]["template"]["spec"]
    assert (
        deployment["spec"]["selector"]["matchLabels"].items()
        <= deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    assert pod["serviceAccountName"] == name
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    [manager] = pod["containers"]
    assert manager["image"] == SETTINGS["notebook_controller_deploy_image"]
    assert manager["imagePullPolicy"] == "Always"
    assert manager["securityContext"]["allowPrivilegeEscalation"] is False
    assert manager["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert "--max-concurrent-reconciles=4" in manager["args"]
    assert "--leader-election-id=" + name in manager["args"]
    env = {item["name"]: item["value"] for item in manager["env"]}
    assert env["WATCH_NAMESPACE"] == "team-a,team-b"
    # What the role in the image finally receives: watches.yaml expanded with this environment.
    watch = expand_watches(env)
    assert watch["reconcilePeriod"] == "3m"
    assert watch["vars"] == {
        "notebook_controller_argocd_namespace": "openshift-gitops",
        "notebook_controller_allowed_namespaces": ["serving", "models"],
        "notebook_controller_trigger_annotation": "gitops.mlops.dev/on-success-trigger",
        "notebook_controller_min_interval": 30,
        "notebook_controller_features": ["wave", "status"],
        "notebook_controller_running_requeue": 5,
        "notebook_controller_running_requeue_max": 10,
        "notebook_controller_announced_requeue_max": 90,
        "notebook_controller_poll_state": "/var/run/mlops/polls.json",
        "notebook_controller_api": "in-cluster",
        "notebook_controller_metrics": True,
        "notebook_controller_name": "",
        "notebook_controller_namespace": "",
    }
    return live


def test_deploy_into_an_existing_namespace_settles_and_removes_only_its_objects(api, playbook, namespace):
    name = controller_name(namespace)
    api.create("v1", "ConfigMap", {"metadata": {"name": "someone-elses", "namespace": namespace}}, namespace)
    try:
        first = deploy(playbook, name, namespace, notebook_controller_deploy_create_namespace=False)
        assert first.stats["changed"] > 0
        assert_installed(api, name, namespace)
        assert "app.kubernetes.io/part-of" not in api.get("v1", "Namespace", namespace)["metadata"].get("labels", {})

        second = deploy(playbook, name, namespace, notebook_controller_deploy_create_namespace=False)
        assert second.stats["changed"] == 0, [t for t, r in second.tasks if r.get("changed")]

        deploy(
            playbook,
            name,
            namespace,
            notebook_controller_deploy_create_namespace=False,
            notebook_controller_deploy_state="absent",
        )
        live = objects(api, name, namespace)
        assert [key for key, obj in live.items() if obj is not None] == [("Namespace", None, namespace)]
        assert api.get("v1", "ConfigMap", "someone-elses", namespace) is not None
    finally:
        delete_if_present(api, name, namespace, own_namespace=False)


def test_check_mode_on_a_fresh_cluster_writes_nothing_then_install_and_remove(api, playbook, namespace, kube):
    name = controller_name(namespace)
    own = namespace + "-ctl"
    try:
        kube.clear_log()
        dry = deploy(playbook, name, own, check=True)
        assert dry.stats["changed"] > 0
        writes = [e for e in kube.request_log if e["verb"] in WRITES]
        assert writes and all(e["query"].get("dryRun") == "All" for e in writes), writes
        assert all(obj is None for obj in objects(api, name, own).values())

        deploy(playbook, name, own)
        live = assert_installed(api, name, own)
        assert (
            live[("Namespace", None, own)]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        )

        kube.clear_log()
        dry = deploy(playbook, name, own, check=True)
        assert dry.stats["changed"] == 0, [t for t, r in dry.tasks if r.get("changed")]
        assert not [e for e in kube.request_log if e["verb"] in WRITES and e["query"].get("dryRun") != "All"]

        kube.clear_log()
        deploy(playbook, name, own, notebook_controller_deploy_state="absent")
        deleted = {(e["resource"], e["name"]) for e in kube.request_log if e["verb"] == "delete"}
        assert deleted == {
            ("deployments", name),
            ("rolebindings", name + "-leader-election"),
            ("roles", name + "-leader-election"),
            ("clusterrolebindings", name),
            ("clusterroles", name),
            ("serviceaccounts", name),
            ("namespaces", own),
            ("services", name + "-metrics"),
            ("clusterroles", name + "-metrics-auth"),
            ("clusterrolebindings", name + "-metrics-auth"),
            ("clusterroles", name + "-metrics-reader"),
        }
        # The role waited until the namespace controller had emptied its namespace: gone, not Terminating,
        # so a reinstall right away works (a Terminating namespace refuses new objects with 403).
        live = objects(api, name, own)
        assert all(obj is None for obj in live.values()), [key for key, obj in live.items() if obj is not None]
        deploy(playbook, name, own)
        assert_installed(api, name, own)
        deploy(playbook, name, own, notebook_controller_deploy_state="absent")
        assert all(obj is None for obj in objects(api, name, own).values())
    finally:
        delete_if_present(api, name, own, own_namespace=True)


def test_a_namespace_the_role_must_not_create_has_to_exist(playbook, namespace):
    missing = namespace[:54] + "-missing"  # a namespace name (at most 63 characters) that does not exist
    settings = dict(notebook_controller_deploy_create_namespace=False)
    result = playbook.run(
        [],
        roles=[ROLE],
        extra_vars=dict(
            SETTINGS,
            notebook_controller_deploy_name=controller_name(namespace),
            notebook_controller_deploy_namespace=missing,
            **settings,
        ),
    )
    assert result.rc != 0
    failed = [r for _, r in result.tasks if r.get("failed")]
    assert failed and missing in failed[0]["msg"] and "notebook_controller_deploy_create_namespace" in failed[0]["msg"]
    # Removing from a namespace that is gone already is nothing to do, not an error.
    gone = deploy(playbook, controller_name(namespace), missing, notebook_controller_deploy_state="absent", **settings)
    assert gone.stats["changed"] == 0


def test_settings_given_as_survey_text_reach_the_controller_as_their_values(api, playbook, namespace):
    """Lists as comma-separated text (WATCH_NAMESPACE was the characters of the text, the allowed namespaces one
    string), numbers as digits, create_namespace "false" (a string in a condition fails under ansible-core 2.19)."""
    name = controller_name(namespace)
    try:
        deploy(playbook, name, namespace, notebook_controller_deploy_create_namespace="false", **AS_TEXT)
        assert_installed(api, name, namespace)
        assert "app.kubernetes.io/part-of" not in api.get("v1", "Namespace", namespace)["metadata"].get("labels", {})
    finally:
        delete_if_present(api, name, namespace, own_namespace=False)


def test_settings_the_controller_would_refuse_stop_the_role_before_any_write(api, playbook, namespace, kube):
    name, own = controller_name(namespace), namespace + "-ctl"
    kube.clear_log()
    try:
        result = playbook.run([], roles=[ROLE], extra_vars=dict(
            SETTINGS, notebook_controller_deploy_name=name, notebook_controller_deploy_namespace=own,
            notebook_controller_deploy_min_interval="-5", notebook_controller_deploy_reconcile_period="soon",
            notebook_controller_deploy_allowed_namespaces="serving, Models"))
        assert result.rc != 0
        failed = [r for _, r in result.tasks if r.get("failed")]
        assert failed and "3 invalid variable(s), nothing was done" in failed[0]["msg"], result.tasks
        refused = (("min_interval", "-5"), ("reconcile_period", "'soon'"), ("allowed_namespaces", "'Models'"))
        for variable, value in refused:
            assert "notebook_controller_deploy_" + variable in failed[0]["msg"] and value in failed[0]["msg"]
        assert not [e for e in kube.request_log if e["verb"] in WRITES], kube.request_log
        assert all(obj is None for obj in objects(api, name, own).values())
    finally:
        delete_if_present(api, name, own, own_namespace=True)
