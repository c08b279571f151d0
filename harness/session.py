"""How tests reach Kubernetes: the real local control plane (harness/cluster.py) behind a recording proxy
(harness/kube_proxy.py), or a user's cluster when ``KUBECONFIG`` is set.

Tests talk to the real kube-apiserver over HTTPS with real credentials. The admin kubeconfig goes
through the proxy (a bearer token, which the proxy passes on), so the request log and fault injection
see what the collection sends while every answer comes from the real server.
"""

import concurrent.futures
import contextlib
import os
import re
import secrets
import time
from pathlib import Path

import yaml

from harness.cluster import LocalCluster, write_kubeconfig
from harness.kube_proxy import RecordingProxy

REPO = Path(__file__).resolve().parents[1]
USERS_NAMESPACE = "mlops-test-users"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _documents(item):
    if isinstance(item, dict):
        yield item
        return
    path = Path(item)
    paths = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")) if path.is_dir() else [path]
    for one in paths:
        for doc in yaml.load_all(one.read_text(encoding="utf-8"), Loader=_LOADER):
            if doc and doc.get("kind", "").endswith("List") and isinstance(doc.get("items"), list):
                yield from doc["items"]
            elif doc:
                yield doc


class TestCluster:
    """The session's cluster. ``kubeconfig`` is admin; ``proxy`` is None on a user's cluster."""

    __test__ = False  # not a pytest test class

    def __init__(self, kubeconfig, proxy=None, local=None):
        self.kubeconfig = kubeconfig
        self.proxy = proxy
        self.local = local  # harness.cluster.LocalCluster, when this session started one
        self._dynamic = None

    # ------------------------------------------------------------ starting

    @classmethod
    def start(cls, workdir, event_ttl="1h", pods=True):
        """A fresh local control plane in ``workdir`` with the recording proxy in front of it; with ``pods``,
        kube-scheduler and kwok too, so pods are scheduled and reach Running (harness/cluster.py)."""
        local = LocalCluster(Path(workdir) / "cluster", event_ttl=event_ttl, pods=pods).start()
        pki = local.pki
        proxy = RecordingProxy(local.url, pki["ca.crt"], pki["apiserver.crt"], pki["apiserver.key"]).start()
        proxy.users[local.token] = "mlops-admin"
        kubeconfig = write_kubeconfig(Path(workdir) / "kubeconfig", proxy.url, pki["ca.crt"], {"token": local.token})
        return cls(kubeconfig, proxy=proxy, local=local)

    def direct(self):
        """The same cluster without the recording proxy (the admin token straight to kube-apiserver), for
        what benchmarks time: the proxy is a Python hop no real cluster has. A user's cluster: itself."""
        if self.local is None:
            return self
        return TestCluster(self.local.token_kubeconfig)

    def stop(self):
        if self.proxy is not None:
            self.proxy.stop()
        if self.local is not None:
            self.local.stop()

    # ------------------------------------------------------------ clients

    def api_client(self):
        """A fresh ``kubernetes.client.ApiClient`` for this cluster (admin)."""
        from kubernetes import config

        return config.new_client_from_config(config_file=self.kubeconfig)

    def dynamic(self):
        """A ``kubernetes.dynamic.DynamicClient`` for this cluster (admin), made once."""
        from kubernetes import dynamic

        if self._dynamic is None:
            self._dynamic = dynamic.DynamicClient(self.api_client())
        return self._dynamic

    def env(self):
        """Environment for subprocesses (ansible-playbook, ansible-runner)."""
        env = dict(os.environ)
        env["KUBECONFIG"] = self.kubeconfig
        env["K8S_AUTH_KUBECONFIG"] = self.kubeconfig
        return env

    # ------------------------------------------------------------ the proxy's request log and faults

    @property
    def request_log(self):
        """Every request sent through the proxy since the last ``clear_log`` (see kube_proxy.describe)."""
        return self.proxy.request_log

    def clear_log(self):
        self.proxy.clear_log()

    def inject_fault(self, **criteria):
        """Fail or delay chosen requests: see kube_proxy.RecordingProxy.inject_fault."""
        return self.proxy.inject_fault(**criteria)

    def hold(self, **criteria):
        """Hold one request until the test releases it: see kube_proxy.RecordingProxy.hold."""
        return self.proxy.hold(**criteria)

    def clear_faults(self):
        self.proxy.clear_faults()

    def active_faults(self):
        """Faults injected and not yet used up."""
        return self.proxy.active_faults()

    # ------------------------------------------------------------ objects

    def load(self, objs_or_paths):
        """Create objects as given, ``.status`` included: created, then their status written through the
        status subresource, as the controller that owns them would. Returns the stored objects."""
        if isinstance(objs_or_paths, (dict, str, os.PathLike)):
            objs_or_paths = [objs_or_paths]
        docs = [doc for item in objs_or_paths for doc in _documents(item)]
        order = {"Namespace": 0, "CustomResourceDefinition": 1}
        docs.sort(key=lambda d: order.get(d.get("kind"), 2))
        return [self._load_one(doc) for doc in docs]

    def load_many(self, objs, threads=8):
        """``load`` of many objects from a few threads: one at a time, 10,000 jobs would take minutes."""
        objs = list(objs)
        if objs:
            self.load(objs[:1])  # resolves the resource once, before the threads share the client
        chunks = [objs[i:i + 50] for i in range(1, len(objs), 50)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
            for _ in pool.map(self.load, chunks):
                pass

    def create_namespace(self, name, service_account=False, timeout=30):
        """Create namespace ``name``; with ``service_account``, wait until kube-controller-manager has made
        its ``default`` ServiceAccount, without which the API server admits no pod there."""
        self.load({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        deadline = time.monotonic() + timeout
        while service_account and self.get("v1", "ServiceAccount", "default", name) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no default ServiceAccount in namespace {name} after {timeout} s")
            time.sleep(0.05)

    def _load_one(self, doc):
        resource = self.dynamic().resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        namespace = doc.get("metadata", {}).get("namespace") if resource.namespaced else None
        has_status = "status" in resource.subresources  # else .status is stored as part of the object
        body = {k: v for k, v in doc.items() if k != "status" or not has_status}
        created = resource.create(body=body, namespace=namespace).to_dict()
        if doc.get("status") and has_status:
            created = resource.subresources["status"].patch(
                body={"status": doc["status"]}, name=created["metadata"]["name"], namespace=namespace,
                content_type="application/merge-patch+json").to_dict()
        return created

    def get(self, api_version, kind, name, namespace=None):
        """The object as the server has it, or None."""
        from kubernetes.dynamic.exceptions import NotFoundError

        resource = self.dynamic().resources.get(api_version=api_version, kind=kind)
        try:
            return resource.get(name=name, namespace=namespace if resource.namespaced else None).to_dict()
        except NotFoundError:
            return None

    def wait_gone(self, api_version, kind, name, namespace=None, timeout=60):
        """Wait until the object no longer exists (a namespace stays Terminating until its content is gone)."""
        deadline = time.monotonic() + timeout
        while self.get(api_version, kind, name, namespace) is not None:
            if time.monotonic() > deadline:
                where = f"{namespace}/{name}" if namespace else name
                raise TimeoutError(f"{kind} {where} still exists after {timeout} s")
            time.sleep(0.2)

    # ------------------------------------------------------------ users with real RBAC

    def service_account_token(self, namespace, name, seconds=3600):
        """A token for the ServiceAccount from the TokenRequest API, as a projected token would be."""
        from kubernetes import client

        core = client.CoreV1Api(self.api_client())
        request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(
            audiences=["https://kubernetes.default.svc"], expiration_seconds=seconds))
        return core.create_namespaced_service_account_token(name, namespace, request).status.token

    def kubeconfig_for_token(self, path, token, namespace="default"):
        """A kubeconfig that reaches this cluster (through the proxy when there is one) with ``token``."""
        admin = yaml.safe_load(Path(self.kubeconfig).read_text(encoding="utf-8"))
        context = next(c["context"] for c in admin["contexts"] if c["name"] == admin["current-context"])
        entry = next(c["cluster"] for c in admin["clusters"] if c["name"] == context["cluster"])
        return write_kubeconfig(path, None, None, {"token": token}, namespace=namespace, cluster=entry)

    @contextlib.contextmanager
    def restricted(self, tmp_path, rules=(), namespace=None, cluster_rules=(), name="restricted"):
        """Yield ``(user, kubeconfig)`` for a new ServiceAccount that holds ``rules`` in ``namespace`` (a
        Role) and ``cluster_rules`` cluster-wide (a ClusterRole), with a real token from the TokenRequest
        API. The API server decides what it may do; everything is deleted afterwards."""
        from kubernetes import client

        slug = "{0}-{1}".format(re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:40], secrets.token_hex(3))
        api = self.api_client()
        core, rbac = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
        with contextlib.suppress(client.ApiException):
            core.create_namespace({"metadata": {"name": USERS_NAMESPACE}})
        core.create_namespaced_service_account(USERS_NAMESPACE, {"metadata": {"name": slug}})
        subject = [{"kind": "ServiceAccount", "name": slug, "namespace": USERS_NAMESPACE}]
        ref = {"apiGroup": "rbac.authorization.k8s.io", "name": slug}
        try:
            if rules:
                rbac.create_namespaced_role(namespace, {"metadata": {"name": slug}, "rules": list(rules)})
                rbac.create_namespaced_role_binding(namespace, {"metadata": {"name": slug}, "subjects": subject,
                                                                "roleRef": dict(ref, kind="Role")})
            if cluster_rules:
                rbac.create_cluster_role({"metadata": {"name": slug}, "rules": list(cluster_rules)})
                rbac.create_cluster_role_binding({"metadata": {"name": slug}, "subjects": subject,
                                                  "roleRef": dict(ref, kind="ClusterRole")})
            token = self.service_account_token(USERS_NAMESPACE, slug)
            kubeconfig = self.kubeconfig_for_token(Path(tmp_path) / (slug + ".kubeconfig"), token,
                                                   namespace=namespace or "default")
            self._wait_authorized(kubeconfig, (list(rules) + list(cluster_rules))[:1], namespace)
            yield f"system:serviceaccount:{USERS_NAMESPACE}:{slug}", kubeconfig
        finally:
            if rules:
                with contextlib.suppress(client.ApiException):
                    rbac.delete_namespaced_role_binding(slug, namespace)
                    rbac.delete_namespaced_role(slug, namespace)
            if cluster_rules:
                with contextlib.suppress(client.ApiException):
                    rbac.delete_cluster_role_binding(slug)
                    rbac.delete_cluster_role(slug)
            core.delete_namespaced_service_account(slug, USERS_NAMESPACE)

    def _wait_authorized(self, kubeconfig, rules, namespace):
        """RBAC reaches the authorizer through an informer: wait (10 s at most) until a granted rule
        is in force for the new user, so the test sees the rules it set up."""
        from kubernetes import client, config

        rule = rules[0] if rules else None
        if not rule or not rule.get("verbs") or not rule.get("resources"):
            return
        attributes = {"verb": rule["verbs"][0], "group": (rule.get("apiGroups") or [""])[0].replace("*", ""),
                      "resource": rule["resources"][0].split("/")[0].replace("*", "pods")}
        if namespace:
            attributes["namespace"] = namespace
        auth = client.AuthorizationV1Api(config.new_client_from_config(config_file=kubeconfig))
        review = {"spec": {"resourceAttributes": attributes}}
        deadline = time.monotonic() + 10
        while not auth.create_self_subject_access_review(review).status.allowed and time.monotonic() < deadline:
            time.sleep(0.1)
