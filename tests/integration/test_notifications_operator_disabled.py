"""Issue 14 item 25: on the Argo CD Operator with notifications disabled (an ArgoCD resource, no
NotificationsConfiguration), `auto` must not write argocd-notifications-cm without a word: the operator overwrites
that ConfigMap once notifications are enabled, and our triggers would be gone. `auto` refuses with the fix;
forcing `configmap` writes it with a warning, as the health-check module does beside the operator."""

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import argocd_notifications as nc
from ansible_collections.mlops.gitops.plugins.module_utils.argocd_config import ConfigError
from tests.integration.playbook import assert_alias_deprecated

ARGOCD = "argoproj.io/v1beta1"
TRIGGERS = {"trigger.on-x": "- when: 'true'\n  send: [x]\n"}


def operator_without_notifications(api, namespace):
    api.create(ARGOCD, "ArgoCD", {"apiVersion": ARGOCD, "kind": "ArgoCD",
                                  "metadata": {"name": "argocd", "namespace": namespace},
                                  "spec": {"notifications": {"enabled": False}}}, namespace=namespace)
    for name in ("argocd-cm", nc.CONFIGMAP):
        api.create("v1", "ConfigMap", {"metadata": {"name": name, "namespace": namespace}, "data": {}},
                   namespace=namespace)


def test_auto_refuses_with_the_fix(api, namespace):
    operator_without_notifications(api, namespace)
    with pytest.raises(ConfigError) as info:
        nc.install(api, namespace, TRIGGERS, {})
    msg = str(info.value)
    assert "notifications disabled" in msg and "spec.notifications.enabled: true in ArgoCD argocd" in msg
    assert "target configmap" in msg
    assert api.get("v1", "ConfigMap", nc.CONFIGMAP, namespace).get("data") in (None, {})
    assert nc.install(api, namespace, TRIGGERS, {}, state="absent")["changed"] is False  # removing stays quiet


def test_forcing_the_configmap_warns_through_the_module(api, playbook, namespace):
    operator_without_notifications(api, namespace)
    task = {"name": "forced", "mlops.gitops.argocd_notifications": {
        "argocd_namespace": namespace, "target": "configmap", "triggers": TRIGGERS}}
    auto = dict(task, name="auto", ignore_errors=True)
    auto["mlops.gitops.argocd_notifications"] = dict(task["mlops.gitops.argocd_notifications"], target="auto")
    # the former option name still works (a second run changes nothing), with a deprecation warning
    again = {"name": "again", "mlops.gitops.argocd_notifications": {
        "namespace": namespace, "target": "configmap", "triggers": TRIGGERS}}
    run = playbook.run([auto, task, again])
    assert run.result("auto").get("failed") is True
    forced = run.result("forced")
    assert forced["changed"] is True and not forced.get("failed"), forced
    assert any("overwrites {0}".format(nc.CONFIGMAP) in w for w in forced.get("warnings") or []), forced
    assert "deprecations" not in forced or not forced["deprecations"], forced
    assert run.result("again")["changed"] is False and not run.result("again").get("failed")
    assert_alias_deprecated(run.result("again"), "namespace")
    assert set(TRIGGERS) <= set(api.get("v1", "ConfigMap", nc.CONFIGMAP, namespace)["data"])
