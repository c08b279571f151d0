"""Issue 14, "As a new user" items 12 to 16 and 20: what a first run of the playbooks and modules got wrong,
each through the real ansible-playbook against the cluster."""

import json

import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from harness import world

DONE = "2026-01-24T22:30:00Z"


# -- 12. every option checked before the first write -----------------------------------------------
def test_a_bad_min_interval_is_refused_before_anything_is_written(playbook, api, namespace):
    world.build(api, namespace)
    world.set_phase(api, namespace, world.JOB_NAME, "Succeeded", started="2026-01-24T22:00:00Z", completed=DONE)
    task = {"name": "reconcile", "register": "out", "ignore_errors": True,
            "mlops.gitops.notebook_reconcile": {"name": world.JOB_NAME, "namespace": namespace,
                                                "argocd_namespace": namespace, "min_interval": -1}}
    res = playbook.run([task]).result("reconcile")
    assert res.get("failed") is True
    assert "min_interval must be an integer >= 0" in res["msg"] and "nothing was done" in res["msg"]
    job = world.get_job(api, namespace)
    assert nvj.ANN_WAVE_COMPLETE not in nvj.annotations(job)
    assert world.events(api, namespace, "ValidationSucceeded") == []

    run = playbook.run(None, playbook="mlops.gitops.reconcile",
                       extra_vars={"namespaces": [namespace], "argocd_namespace": namespace, "min_interval": -1})
    assert run.rc != 0
    assert nvj.ANN_WAVE_COMPLETE not in nvj.annotations(world.get_job(api, namespace))
    assert world.events(api, namespace, "ValidationSucceeded") == []


# -- 13. a namespace without jobs is named -----------------------------------------------------------
def test_reconcile_of_a_namespace_without_jobs_says_so(playbook, namespace):
    typo = namespace + "x"
    run = playbook.run(None, playbook="mlops.gitops.reconcile",
                       extra_vars={"namespaces": [namespace, typo], "argocd_namespace": namespace})
    assert run.rc == 0, run.stdout[-2000:]
    res = [r for name, r in run.tasks if name.startswith("Reconcile every NotebookValidationJob")][0]
    warnings = " ".join(res.get("warnings") or [])
    assert "namespace {0} does not exist".format(typo) in warnings, res
    assert "no NotebookValidationJob in namespace {0}".format(namespace) in warnings


# -- 14. messages name what the user set -------------------------------------------------------------
def test_install_names_the_playbook_variable_and_its_values(playbook, namespace):
    for playbook_name in ("mlops.gitops.install", "mlops.gitops.uninstall"):
        run = playbook.run(None, playbook=playbook_name,
                           extra_vars={"argocd_namespace": namespace, "argocd_target": "argocd_cr"})
        assert run.rc != 0
        msg = run.result("Check argocd_target")["msg"]
        assert msg == 'argocd_target must be one of auto, configmap, cr; got "argocd_cr"', msg
        assert "argocd_health_check_target" not in run.stdout


def test_install_checks_argocd_namespace_as_the_modules_do(playbook):
    """Issue 24: the playbooks check argocd_namespace with the collection's one definition of a namespace name
    (mlops.gitops.namespace_name, names.is_namespace), the length limit included, before any role runs."""
    for playbook_name in ("mlops.gitops.install", "mlops.gitops.uninstall"):
        for bad in ("Argo_CD", "a" * 64, 5):
            run = playbook.run(None, playbook=playbook_name, extra_vars={"argocd_namespace": bad})
            assert run.rc != 0
            msg = run.result("Check argocd_namespace")["msg"]
            assert msg == "argocd_namespace must be a namespace name (e.g. argocd, openshift-gitops); got {0}".format(
                json.dumps(str(bad))), msg
            assert [name for name, _res in run.tasks][-1] == "Check argocd_namespace", run.tasks


# -- 15 and 16. check mode dry-runs on the server; a 403 says who needs which right -----------------
def test_check_mode_with_a_read_only_account_fails_on_the_servers_403(playbook, api, cluster, namespace, tmp_path):
    for name in ("argocd-cm", "argocd-notifications-cm"):
        api.create("v1", "ConfigMap", {"metadata": {"name": name, "namespace": namespace}, "data": {}},
                   namespace=namespace)
    read_only = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]
    cluster_read = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list"]}]
    with cluster.restricted(tmp_path, read_only, namespace, cluster_read) as (_, kubeconfig):
        env = {"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig}
        run = playbook.run(None, playbook="mlops.gitops.install", check=True, env=env,
                           extra_vars={"argocd_namespace": namespace, "argocd_target": "configmap"})
    assert run.rc != 0, run.stdout[-3000:]
    assert run.stats.get("changed", 0) == 0
    failed = [res for _name, res in run.tasks if res.get("failed")]
    assert failed, run.tasks
    msg = failed[0]["msg"]
    assert "insufficient rights" in msg and "(HTTP 403)" in msg, msg
    assert "The account running the install" in msg and "not the controller" in msg
    assert "ClusterRole" not in msg
    for name in ("argocd-cm", "argocd-notifications-cm"):
        assert api.get("v1", "ConfigMap", name, namespace).get("data") in (None, {})


def test_notifications_403_names_the_configmap_rights(playbook, api, cluster, namespace, tmp_path):
    api.create("v1", "ConfigMap", {"metadata": {"name": "argocd-cm", "namespace": namespace}, "data": {}},
               namespace=namespace)
    read_only = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]
    cluster_read = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list"]}]
    task = {"name": "notifications", "ignore_errors": True,
            "mlops.gitops.argocd_notifications": {"argocd_namespace": namespace, "target": "configmap",
                                                  "triggers": {"trigger.on-x": "- when: 'true'\n  send: [x]\n"}}}
    with cluster.restricted(tmp_path, read_only, namespace, cluster_read) as (_, kubeconfig):
        res = playbook.run([task], env={"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig})
    msg = res.result("notifications")["msg"]
    assert "create ConfigMap {0}/argocd-notifications-cm".format(namespace) in msg, msg
    assert "configmaps/argocd-notifications-cm" in msg and "ClusterRole" not in msg


def test_check_mode_sends_server_side_dry_runs(api, cluster, namespace):
    from ansible_collections.mlops.gitops.plugins.module_utils import argocd_health_check
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

    api.create("v1", "ConfigMap", {"metadata": {"name": "argocd-cm", "namespace": namespace}, "data": {"a": "1"}},
               namespace=namespace)
    dry = KubeApi.from_auth(kubeconfig=cluster.kubeconfig, dry_run=True)
    result = argocd_health_check.install_health_check(dry, namespace, "mlops.mlops.dev", "NotebookValidationJob", "x",
                                                      check_mode=True)
    assert result["changed"] is True
    assert dry.counts.get("patch") == 1  # sent, as a dry run
    assert api.get("v1", "ConfigMap", "argocd-cm", namespace)["data"] == {"a": "1"}  # and nothing stored


# -- 20. --diff line by line -----------------------------------------------------------------------
def test_install_diff_shows_the_lua_script_line_by_line(playbook, api, namespace):
    for name in ("argocd-cm", "argocd-notifications-cm"):
        api.create("v1", "ConfigMap", {"metadata": {"name": name, "namespace": namespace}, "data": {}},
                   namespace=namespace)
    run = playbook.run(None, playbook="mlops.gitops.install", check=True, diff=True,
                       extra_vars={"argocd_namespace": namespace},
                       env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})
    assert run.rc == 0, run.stdout[-3000:]
    plus = [line for line in run.stdout.splitlines() if line.startswith("+")]
    assert any("hs.status = " in line for line in plus), run.stdout[-3000:]  # a line of health.lua
    assert any("Notebook validation failed in application" in line for line in plus), plus[:40]  # a template
    assert not any("\\n" in line for line in plus), [line for line in plus if "\\n" in line][:3]


def test_readable_diff_keeps_the_content():
    from ansible_collections.mlops.gitops.plugins.module_utils.install_result import readable_diff

    diff = {"before": {"data": {}}, "after": {"data": {"k": "line 1\nline 2\n", "n": "x"}}, "before_header": "h"}
    text = readable_diff(diff)
    assert text["before_header"] == "h"
    assert yaml.safe_load(text["after"]) == diff["after"]
    assert "  k: |\n    line 1\n    line 2\n" in text["after"]
