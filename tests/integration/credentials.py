"""Restricted credentials for tests that need a 403 from the API server.

On a real cluster: a ServiceAccount in the test namespace, a Role (and, for cluster-wide rules, a
ClusterRole) bound to it, and a token from the TokenRequest API, written into a kubeconfig beside the
admin one (same server and CA). On the local emulator: a token the emulator checks against the same
rules. Either way the API server decides; the test only reads the answer."""

import contextlib
import secrets

import yaml


def _kubeconfig_with_token(cluster, path, token, namespace):
    with open(cluster.kubeconfig) as handle:
        admin = yaml.safe_load(handle)
    context = next(c for c in admin["contexts"] if c["name"] == admin["current-context"])["context"]
    entry = next(c for c in admin["clusters"] if c["name"] == context["cluster"])
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [entry],
        "users": [{"name": "restricted", "user": {"token": token}}],
        "contexts": [{"name": "restricted", "context": {"cluster": entry["name"], "user": "restricted",
                                                        "namespace": namespace}}],
        "current-context": "restricted",
    }
    with open(path, "w") as handle:
        yaml.safe_dump(config, handle)
    return str(path)


@contextlib.contextmanager
def restricted_kubeconfig(cluster, namespace, rules, tmp_path, cluster_rules=None):
    """Yield a kubeconfig whose user holds only ``rules`` in ``namespace`` (plus ``cluster_rules``
    cluster-wide). Rules are RBAC PolicyRule dicts (apiGroups, resources, verbs, resourceNames)."""
    name = "restricted-" + secrets.token_hex(3)
    path = tmp_path / (name + ".kubeconfig")
    if cluster.emulator is not None:
        scoped = [dict(rule, namespaces=[namespace]) for rule in rules] + list(cluster_rules or [])
        cluster.emulator.add_user(name, scoped, user="system:serviceaccount:{0}:{1}".format(namespace, name))
        try:
            yield cluster.emulator.write_kubeconfig(path, namespace=namespace, token=name)
        finally:
            cluster.emulator.remove_user(name)
        return
    from kubernetes import client

    api_client = cluster.api_client()
    core, rbac = client.CoreV1Api(api_client), client.RbacAuthorizationV1Api(api_client)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
    subject = [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]
    rbac.create_namespaced_role(namespace, {"metadata": {"name": name}, "rules": rules})
    rbac.create_namespaced_role_binding(namespace, {
        "metadata": {"name": name}, "subjects": subject,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name}})
    if cluster_rules:
        rbac.create_cluster_role({"metadata": {"name": name}, "rules": cluster_rules})
        rbac.create_cluster_role_binding({
            "metadata": {"name": name}, "subjects": subject,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}})
    try:
        token = core.create_namespaced_service_account_token(
            name, namespace, {"spec": {"expirationSeconds": 3600}}).status.token
        yield _kubeconfig_with_token(cluster, path, token, namespace)
    finally:
        if cluster_rules:
            for delete in (rbac.delete_cluster_role_binding, rbac.delete_cluster_role):
                with contextlib.suppress(client.ApiException):
                    delete(name)
