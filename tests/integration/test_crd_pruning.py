"""The installed CRDs prune or reject a misspelt field, as a real cluster with the operators' own CRDs does,
and keep every field the collection writes.

Runs against a real kube-apiserver (the local control plane's, or a user's cluster),
with tests/data/crds or, when ``../shared/reference/crds`` exists, the upstream CRDs (harness/crds.py).
A misspelt field may be pruned (the default field validation, ``Warn``, which the collection's client
gets) or rejected (``Strict``); either is fine, keeping it is not.
"""

import copy

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import (
    argocd_health_check,
    argocd_notifications,
    trigger_verbs,
)

from harness import world

APP = ("argoproj.io", "v1alpha1", "applications")
ARGOCD = ("argoproj.io", "v1beta1", "argocds")
NOTIFICATIONS = ("argoproj.io", "v1alpha1", "notificationsconfigurations")
COMPLETION = "2026-01-24T22:30:00Z"
CONTEXT = {"key": "uid/Succeeded/" + COMPLETION, "completion_time": COMPLETION, "job_ref": "ml/train"}
RETRY = {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}, "refresh": True}


@pytest.fixture
def custom(cluster):
    from kubernetes import client

    return client.CustomObjectsApi(cluster.api_client())


def _create_or_rejected(custom, resource, namespace, body):
    """The stored object, or None when the server refused the body (400/422)."""
    from kubernetes import client

    group, version, plural = resource
    try:
        custom.create_namespaced_custom_object(group, version, namespace, plural, body)
    except client.ApiException as exc:
        if exc.status in (400, 422):
            return None
        raise
    return custom.get_namespaced_custom_object(group, version, namespace, plural, body["metadata"]["name"])


def _patch_or_rejected(api, custom, resource, namespace, name, kind, patch):
    """A JSON merge patch through the collection's own client, as it writes; None when refused (400/422)."""
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError

    group, version, plural = resource
    try:
        api.patch(group + "/" + version, kind, name, patch, namespace=namespace)
    except KubeError as exc:
        if exc.status in (400, 422):
            return None
        raise
    return custom.get_namespaced_custom_object(group, version, namespace, plural, name)


def _application(name, namespace, **extra):
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "project": "default",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "source": {"repoURL": "https://example.invalid/repo", "path": "k8s", "targetRevision": "main"},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"], "retry": RETRY},
        },
    }
    body.update(extra)
    return body


# -- Application.operation ------------------------------------------------------------------------
def test_a_misspelt_operation_field_is_pruned_or_rejected(custom, namespace):
    operation = {
        "initiatedBy": {"username": "mlops-gitops", "automated": False},
        "sync": {"revision": "main", "syncOption": ["Replace=true"], "syncOptions": ["Validate=false"],
                 "prune": True, "syncStrategy": {"hook": {}}},
    }
    stored = _create_or_rejected(custom, APP, namespace, _application("misspelt", namespace, operation=operation))
    if stored is not None:
        sync = stored["operation"]["sync"]
        assert "syncOption" not in sync, "operation.sync.syncOption was kept: the CRD does not prune operation"
        assert sync["syncOptions"] == ["Validate=false"] and sync["prune"] is True
        assert sync["syncStrategy"] == {"hook": {}}


def test_a_misspelt_field_in_a_patched_operation_is_pruned_or_rejected(api, custom, namespace):
    custom.create_namespaced_custom_object(*APP[:2], namespace, APP[2], _application("patched", namespace))
    patch = {"operation": {"initiatedBy": {"userName": "mlops-gitops"},
                           "retry": {"limit": 2, "backof": {"duration": "1s"}}, "sync": {"revision": "main"}}}
    stored = _patch_or_rejected(api, custom, APP, namespace, "patched", "Application", patch)
    if stored is not None:
        operation = stored["operation"]
        assert "userName" not in operation.get("initiatedBy", {})
        assert "backof" not in operation["retry"] and operation["retry"]["limit"] == 2
        assert operation["sync"] == {"revision": "main"}


def test_a_wrongly_typed_operation_field_is_rejected(custom, namespace):
    operation = {"sync": {"revision": "main", "prune": "yes"}}
    assert _create_or_rejected(custom, APP, namespace, _application("typed", namespace, operation=operation)) is None


def test_the_sync_trigger_writes_nothing_the_server_prunes(api, custom, namespace):
    """The collection's own sync writes its operation; it reads back field for field."""
    custom.create_namespaced_custom_object(*APP[:2], namespace, APP[2], _application("model-app", namespace))
    target = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "name": "model-app",
              "namespace": namespace, "action": "sync", "index": 0}
    app = api.get("argoproj.io/v1alpha1", "Application", "model-app", namespace)
    expected = trigger_verbs.sync_operation(app, CONTEXT)
    assert expected["retry"] == RETRY and expected["sync"]["revision"] == "main"
    result = trigger_verbs.sync_application(api, target, CONTEXT)
    assert result["result"] == "succeeded" and result["changed"]
    stored = custom.get_namespaced_custom_object(*APP[:2], namespace, APP[2], "model-app")
    assert stored["operation"] == expected


# -- ArgoCD.spec.resourceHealthChecks ---------------------------------------------------------------
def test_a_misspelt_health_check_field_is_pruned_or_rejected(custom, namespace):
    checks = [{"group": "argoproj.io", "kind": "Rollout", "lua": "return {}"}]
    stored = _create_or_rejected(custom, ARGOCD, namespace, world.argocd(namespace, "misspelt", health_checks=checks))
    if stored is not None:
        assert stored["spec"]["resourceHealthChecks"] == [{"group": "argoproj.io", "kind": "Rollout"}]


def test_a_misspelt_health_check_field_in_a_patch_is_pruned_or_rejected(api, custom, namespace):
    custom.create_namespaced_custom_object(*ARGOCD[:2], namespace, ARGOCD[2],
                                           world.argocd(namespace, "patched", health_checks=[]))
    patch = {"spec": {"resourceHealthCheck": [{"group": "g", "kind": "K", "check": "c"}],
                      "resourceHealthChecks": [{"group": "g", "kind": "K", "check": "c", "Check": "x"}]}}
    stored = _patch_or_rejected(api, custom, ARGOCD, namespace, "patched", "ArgoCD", patch)
    if stored is not None:
        assert "resourceHealthCheck" not in stored["spec"]
        assert stored["spec"]["resourceHealthChecks"] == [{"group": "g", "kind": "K", "check": "c"}]


def test_the_health_check_install_writes_nothing_the_server_prunes(api, custom, namespace):
    theirs = {"group": "argoproj.io", "kind": "Rollout", "check": "hs = {}\nreturn hs"}
    custom.create_namespaced_custom_object(*ARGOCD[:2], namespace, ARGOCD[2],
                                           world.argocd(namespace, "argocd", health_checks=[theirs]))
    lua = "hs = {status = 'Healthy'}\nreturn hs"
    result = argocd_health_check.install_health_check(api, namespace, "mlops.mlops.dev", "NotebookValidationJob",
                                                      check=lua, target="cr")
    assert result["changed"] and result["target"] == "cr"
    stored = custom.get_namespaced_custom_object(*ARGOCD[:2], namespace, ARGOCD[2], "argocd")
    ours = {"group": "mlops.mlops.dev", "kind": "NotebookValidationJob", "check": lua}
    assert stored["spec"]["resourceHealthChecks"] == [theirs, ours]


# -- NotificationsConfiguration -------------------------------------------------------------------
def test_notifications_configuration_prunes_a_misspelt_map_and_keeps_ours(api, custom, namespace):
    body = {"apiVersion": "argoproj.io/v1alpha1", "kind": "NotificationsConfiguration",
            "metadata": {"name": argocd_notifications.CR_NAME, "namespace": namespace},
            "spec": {"trigger": {"trigger.x": "- send: [x]"}, "triggers": {"trigger.theirs": "- send: [t]"}}}
    stored = _create_or_rejected(custom, NOTIFICATIONS, namespace, copy.deepcopy(body))
    if stored is None:  # strict validation: create it without the misspelt map
        del body["spec"]["trigger"]
        stored = _create_or_rejected(custom, NOTIFICATIONS, namespace, body)
    assert "trigger" not in stored["spec"]
    triggers = {"trigger.on-notebook-validation-failed": "- send: [notebook-validation-failed]"}
    templates = {"template.notebook-validation-failed": "message: failed"}
    argocd_notifications.install(api, namespace, triggers, templates, target="cr")
    stored = custom.get_namespaced_custom_object(*NOTIFICATIONS[:2], namespace, NOTIFICATIONS[2],
                                                 argocd_notifications.CR_NAME)
    assert stored["spec"]["triggers"] == dict(triggers, **{"trigger.theirs": "- send: [t]"})
    assert stored["spec"]["templates"] == templates


def test_notifications_configuration_rejects_a_non_string_trigger(custom, namespace):
    body = {"apiVersion": "argoproj.io/v1alpha1", "kind": "NotificationsConfiguration",
            "metadata": {"name": "typed", "namespace": namespace},
            "spec": {"triggers": {"trigger.x": [{"send": ["x"]}]}}}
    assert _create_or_rejected(custom, NOTIFICATIONS, namespace, body) is None
