"""Issue 14 item 24: the controller's metrics are served as operator-sdk scaffolds them (HTTPS, every caller
authenticated and authorized by the API server) and reachable through a Service Prometheus can scrape. The
role is applied by a real ansible-playbook; the objects are read back from the cluster."""

import pytest

from tests.integration.test_controller_deploy import controller_name, deploy

RBAC = "rbac.authorization.k8s.io/v1"


@pytest.fixture
def deployed(api, playbook, namespace):
    name = controller_name(namespace)
    deploy(playbook, name, namespace, notebook_controller_deploy_create_namespace=False)
    yield name
    deploy(playbook, name, namespace, notebook_controller_deploy_state="absent",
           notebook_controller_deploy_create_namespace=False)
    for suffix in ("", "-metrics-auth", "-metrics-reader"):
        assert api.get(RBAC, "ClusterRole", name + suffix) is None, "state=absent must remove " + name + suffix


def test_metrics_are_secure_rbac_protected_and_behind_a_service(api, namespace, deployed):
    name = deployed
    deployment = api.get("apps/v1", "Deployment", name, namespace)
    [manager] = deployment["spec"]["template"]["spec"]["containers"]
    for flag in ("--metrics-bind-address=:8443", "--metrics-secure", "--metrics-require-rbac"):
        assert flag in manager["args"], manager["args"]
    port = {p["name"]: p["containerPort"] for p in manager["ports"]}
    assert port["metrics"] == 8443

    service = api.get("v1", "Service", name + "-metrics", namespace)
    assert service is not None
    [svc_port] = service["spec"]["ports"]
    assert (svc_port["name"], svc_port["port"], svc_port["targetPort"]) == ("https", 8443, "metrics")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()

    # --metrics-require-rbac: the controller reviews each caller's token and right.
    auth = api.get(RBAC, "ClusterRole", name + "-metrics-auth")
    assert {(r["apiGroups"][0], r["resources"][0], tuple(r["verbs"])) for r in auth["rules"]} == {
        ("authentication.k8s.io", "tokenreviews", ("create",)),
        ("authorization.k8s.io", "subjectaccessreviews", ("create",)),
    }
    binding = api.get(RBAC, "ClusterRoleBinding", name + "-metrics-auth")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]
    reader = api.get(RBAC, "ClusterRole", name + "-metrics-reader")
    assert reader["rules"] == [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]
