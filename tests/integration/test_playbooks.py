"""The collection's playbooks run by FQCN (`ansible-playbook mlops.gitops.<name>`), as users and AWX run
them: install is idempotent and keeps Argo CD's own keys, uninstall removes only ours, reconcile handles
every job of the namespaces given as AWX survey text, and refuses to run without namespaces."""

import json

import yaml
from ansible_collections.mlops.gitops.plugins.module_utils import nvj

from harness import rbac, world

HEALTH_KEY = "resource.customizations.health.mlops.mlops.dev_NotebookValidationJob"
OWN = {"url": "https://argocd.example.invalid", "trigger.on-sync-failed": "- send: [x]\n"}


def configmaps(api, namespace):
    for name in ("argocd-cm", "argocd-notifications-cm"):
        api.create("v1", "ConfigMap", {"apiVersion": "v1", "kind": "ConfigMap",
                                       "metadata": {"name": name, "namespace": namespace}, "data": dict(OWN)},
                   namespace=namespace)


def data(api, namespace, name):
    return (api.get("v1", "ConfigMap", name, namespace) or {}).get("data") or {}


def changed_tasks(result):
    return [name for name, res in result.tasks if res.get("changed")]


def test_install_twice_then_uninstall(api, playbook, namespace):
    configmaps(api, namespace)
    # the role owns (and on removal deletes) the controller's namespace: give it one of its own
    controller = {"notebook_controller_deploy_namespace": namespace + "-ctl",
                  "notebook_controller_deploy_name": "ctl-" + namespace[-6:],
                  # required: there is no default image (the role says so and stops otherwise)
                  "notebook_controller_deploy_image": "registry.example.com/mlops-gitops-controller:0.1.0"}
    try:
        install_and_uninstall(api, playbook, namespace, controller)
    finally:
        api.delete("v1", "Namespace", controller["notebook_controller_deploy_namespace"])


def install_and_uninstall(api, playbook, namespace, controller):
    extra = dict(controller, argocd_namespace=namespace, argocd_target="configmap")

    first = playbook.run(None, playbook="mlops.gitops.install", extra_vars=dict(extra, install_controller=True))
    assert first.rc == 0, first.stdout[-3000:] + first.stderr[-2000:]
    assert len(changed_tasks(first)) >= 3, first.tasks
    ctl_ns = controller["notebook_controller_deploy_namespace"]
    deployment = api.get("apps/v1", "Deployment", controller["notebook_controller_deploy_name"], ctl_ns)
    env = dict((e["name"], e.get("value")) for c in deployment["spec"]["template"]["spec"]["containers"]
               for e in c.get("env") or [])
    assert env.get("NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE") == namespace, env
    cm, notifications = data(api, namespace, "argocd-cm"), data(api, namespace, "argocd-notifications-cm")
    assert HEALTH_KEY in cm and cm["url"] == OWN["url"]
    ours = [k for k in notifications if k.startswith("trigger.") and k != "trigger.on-sync-failed"]
    assert ours and notifications["trigger.on-sync-failed"] == OWN["trigger.on-sync-failed"]

    # AWX surveys send "true"/"false" strings
    second = playbook.run(None, playbook="mlops.gitops.install", extra_vars=dict(extra, install_controller="true"))
    assert second.rc == 0 and changed_tasks(second) == [], second.tasks

    gone = playbook.run(None, playbook="mlops.gitops.uninstall", extra_vars=dict(extra, uninstall_controller=True))
    assert gone.rc == 0 and len(changed_tasks(gone)) >= 3, gone.tasks
    assert api.get("apps/v1", "Deployment", controller["notebook_controller_deploy_name"], ctl_ns) is None
    assert data(api, namespace, "argocd-cm") == OWN
    assert data(api, namespace, "argocd-notifications-cm") == OWN


def test_reconcile_every_job_of_namespaces_given_as_survey_text(api, playbook, namespace):
    world.build(api, namespace)
    world.set_phase(api, namespace, world.JOB_NAME, "Succeeded", started=world.stamp(), completed=world.stamp())
    # AWX text surveys send strings; min_interval "" is an unanswered optional integer question
    result = playbook.run(None, playbook="mlops.gitops.reconcile", extra_vars={
        "namespaces": " {0}, ".format(namespace), "argocd_namespace": namespace, "allowed_namespaces": "",
        "features": "wave\nstatus", "min_interval": ""})
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-2000:]
    annotations = nvj.annotations(world.get_job(api, namespace))
    assert annotations[nvj.ANN_WAVE_COMPLETE] == "3"
    assert nvj.ANN_TRIGGER_STATUS not in annotations  # only the features asked for ran
    status = json.loads(world.app_annotations(api, namespace)[nvj.ANN_NOTEBOOK_STATUS])
    assert (status["total"], status["succeeded"]) == (1, 1)

    again = playbook.run(None, playbook="mlops.gitops.reconcile", extra_vars={
        "namespaces": [namespace], "argocd_namespace": namespace, "features": ["wave", "status"]})
    assert again.rc == 0 and changed_tasks(again) == [], again.tasks


def test_reconcile_needs_namespaces(playbook):
    result = playbook.run(None, playbook="mlops.gitops.reconcile", extra_vars={})
    assert result.rc != 0
    assert "Set `namespaces`" in result.result("Check the namespaces to reconcile")["msg"]
    blank = playbook.run(None, playbook="mlops.gitops.reconcile", extra_vars={"namespaces": " , "})
    assert blank.rc != 0
    failed = [res for _name, res in blank.tasks if res.get("failed")]
    assert failed and "namespaces is empty" in failed[0]["msg"] and "nothing was done" in failed[0]["msg"]


def test_reconcile_lets_triggers_act_in_any_namespace_with_allowed_namespaces_star_as_survey_text(
        api, playbook, namespace, spaces):
    """``allowed_namespaces=*`` (AWX text) means any namespace; it was dropped, and the trigger refused."""
    [other] = spaces(1)
    world.create(api, world.deployment(other))
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": world.DEPLOY_NAME, "namespace": other,
              "action": "restart"}
    world.create(api, world.job(namespace, trigger=yaml.safe_dump([target])))
    world.set_phase(api, namespace, world.JOB_NAME, "Succeeded", started=world.stamp(), completed=world.stamp())
    result = playbook.run(None, playbook="mlops.gitops.reconcile", extra_vars={
        "namespaces": namespace, "argocd_namespace": namespace, "allowed_namespaces": "*", "features": "trigger"})
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-2000:]
    template = api.get("apps/v1", "Deployment", world.DEPLOY_NAME, other)["spec"]["template"]["metadata"]
    assert "kubectl.kubernetes.io/restartedAt" in (template.get("annotations") or {}), template


def test_install_with_the_controller_and_no_image_stops_before_writing_anything(api, playbook, namespace):
    configmaps(api, namespace)
    before = api.get("v1", "ConfigMap", "argocd-cm", namespace)["metadata"]["resourceVersion"]
    run = playbook.run(None, playbook="mlops.gitops.install", extra_vars={
        "argocd_namespace": namespace, "argocd_target": "configmap", "install_controller": True,
        "notebook_controller_deploy_namespace": namespace + "-ctl"})
    assert run.rc != 0
    failed = [res for _name, res in run.tasks if res.get("failed")]
    assert failed and "notebook_controller_deploy_image is not set" in failed[0]["msg"], run.tasks
    assert "docs/operator.md" in failed[0]["msg"]
    assert api.get("v1", "ConfigMap", "argocd-cm", namespace)["metadata"]["resourceVersion"] == before
    assert HEALTH_KEY not in data(api, namespace, "argocd-cm")
    assert api.get("v1", "Namespace", namespace + "-ctl") is None


def test_install_with_a_controller_setting_the_controller_would_refuse_writes_nothing(api, playbook, namespace):
    """The controller's settings are checked with the rest, before the health check is installed."""
    configmaps(api, namespace)
    before = api.get("v1", "ConfigMap", "argocd-cm", namespace)["metadata"]["resourceVersion"]
    run = playbook.run(None, playbook="mlops.gitops.install", extra_vars={
        "argocd_namespace": namespace, "argocd_target": "configmap", "install_controller": "true",
        "notebook_controller_deploy_namespace": namespace + "-ctl",
        "notebook_controller_deploy_image": "registry.example.com/mlops-gitops-controller:0.1.0",
        "notebook_controller_deploy_reconcile_period": "soon", "notebook_controller_deploy_watch_namespaces": "a,b"})
    assert run.rc != 0
    failed = [res for _name, res in run.tasks if res.get("failed")]
    assert failed and "notebook_controller_deploy_reconcile_period" in failed[0]["msg"], run.tasks
    assert "'soon'" in failed[0]["msg"] and "watch_namespaces" not in failed[0]["msg"]
    assert api.get("v1", "ConfigMap", "argocd-cm", namespace)["metadata"]["resourceVersion"] == before
    assert api.get("v1", "Namespace", namespace + "-ctl") is None


def _installer_rules(without=None):
    """docs/awx.md's installer Role's rules, less the verb ``without`` = (resource, verb)."""
    rules = []
    for rule in rbac.installer_role()["rules"]:
        verbs = [v for v in rule["verbs"] if (rule["resources"][0], v) != without]
        if verbs:
            rules.append(dict(rule, verbs=verbs))
    return rules


def test_install_and_uninstall_with_exactly_the_documented_installer_rights(api, playbook, cluster, namespace,
                                                                            tmp_path):
    """Issue 22, findings 8 and 9: with the rights docs/awx.md listed and the default argocd_target auto, install
    failed (it lists ArgoCDs and reads the NotificationsConfiguration to choose where to write); uninstall left
    the argocd-notifications-cm install had created. Here a plain Argo CD namespace with argocd-cm alone, while
    the cluster has the Argo CD Operator's resource types, as a namespace beside an operator's would."""
    api.create("v1", "ConfigMap", {"metadata": {"name": "argocd-cm", "namespace": namespace}, "data": dict(OWN)},
               namespace=namespace)
    with cluster.restricted(tmp_path, _installer_rules(), namespace, name="installer") as (_, kubeconfig):
        env = {"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig}
        install = playbook.run(None, playbook="mlops.gitops.install", env=env,
                               extra_vars={"argocd_namespace": namespace})
        assert install.rc == 0, install.stdout[-3000:]
        assert HEALTH_KEY in data(api, namespace, "argocd-cm")
        assert any(k.startswith("trigger.") for k in data(api, namespace, "argocd-notifications-cm"))
        uninstall = playbook.run(None, playbook="mlops.gitops.uninstall", env=env,
                                 extra_vars={"argocd_namespace": namespace})
        assert uninstall.rc == 0, uninstall.stdout[-3000:]
    assert data(api, namespace, "argocd-cm") == OWN
    assert api.get("v1", "ConfigMap", "argocd-notifications-cm", namespace) is None


def test_a_missing_installer_right_is_named(api, playbook, cluster, namespace, tmp_path):
    """Issue 22, finding 9: the 403 says which right is missing, and what target auto needs."""
    api.create("v1", "ConfigMap", {"metadata": {"name": "argocd-cm", "namespace": namespace}, "data": dict(OWN)},
               namespace=namespace)
    rules = _installer_rules(without=("argocds", "list"))
    with cluster.restricted(tmp_path, rules, namespace, name="installer-less-list") as (_, kubeconfig):
        env = {"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig}
        run = playbook.run(None, playbook="mlops.gitops.install", env=env, extra_vars={"argocd_namespace": namespace})
    assert run.rc != 0
    msg = [res for _name, res in run.tasks if res.get("failed")][0]["msg"]
    assert "lacks list on argocds.argoproj.io in namespace {0}; it needs list on argocds.argoproj.io (to find out " \
        "whether the Argo CD Operator manages the namespace".format(namespace) in msg, msg
    assert data(api, namespace, "argocd-cm") == OWN


def test_the_controller_role_outside_ansible_operator_without_a_job_names_the_variables(api, kube, playbook,
                                                                                          namespace):
    """No ansible_operator_meta and no notebook_controller_name/namespace: the reconcile fails with the role's hint
    (chosen in the task's options, not by tasks of their own) before any request, and nothing is requeued."""
    world.load_scenario(kube, namespace)
    before = api.get(nvj.API_VERSION, nvj.KIND, world.JOB_NAME, namespace)["metadata"]["resourceVersion"]
    for unset in ({"notebook_controller_namespace": namespace}, {"notebook_controller_name": world.JOB_NAME}):
        run = playbook.run([], roles=[{"role": "mlops.gitops.notebook_controller",
                                       "vars": dict(unset, notebook_controller_argocd_namespace=namespace)}])
        assert run.rc != 0
        failed = [(name, res) for name, res in run.tasks if res.get("failed")]
        assert [name for name, _res in failed] == ["mlops.gitops.notebook_controller : Reconcile the "
                                                   "NotebookValidationJob"], run.tasks
        assert "set notebook_controller_name and notebook_controller_namespace" in failed[0][1]["msg"]
    assert api.get(nvj.API_VERSION, nvj.KIND, world.JOB_NAME, namespace)["metadata"]["resourceVersion"] == before
