"""config/ (the kustomize tree Argo CD can deploy the controller from) is generated from the deploy role's
templates, is current, renders with the real kustomize to exactly the objects the role applies, and an
overlay of it (own namespace, name prefix, image) applies to the real control plane and works: the
Deployment rolls out a ReplicaSet and the ServiceAccount holds the controller's rights."""

import json
import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from harness.controller_config import IMAGE_PLACEHOLDER, ROLE, main, render_config, render_objects, role_variables

REPO = Path(__file__).resolve().parents[2]
KUSTOMIZE = Path(os.environ.get("MLOPS_KUSTOMIZE_BIN", REPO / ".build" / "bin" / "kustomize"))


def kustomize_build(path):
    if not KUSTOMIZE.is_file():
        pytest.fail(f"{KUSTOMIZE} is not built: run `make kustomize`", pytrace=False)
    out = subprocess.run([str(KUSTOMIZE), "build", str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def key(obj):
    return (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])


def test_config_is_what_the_templates_render(tmp_path):
    assert main(["--check"]) == 0, "config/ is stale: run `make config`"
    # and the check notices a stale tree
    main(["--dir", str(tmp_path)])
    (tmp_path / "rbac" / "service_account.yaml").write_text("# edited by hand\n")
    assert main(["--check", "--dir", str(tmp_path)]) == 1


def test_every_generated_file_is_in_a_kustomization():
    files = render_config()
    listed = set()
    for path, text in files.items():
        if path.endswith("kustomization.yaml"):
            folder = Path(path).parent
            doc = yaml.safe_load(text)
            listed |= {str(folder / r) for r in doc["resources"] if not r.startswith("..")}
            listed |= {str(folder / f) for g in doc.get("configMapGenerator", []) for f in g["files"]}
    assert listed == {p for p in files if not p.endswith("kustomization.yaml")}


def test_kustomize_renders_exactly_what_the_role_applies():
    built = {key(o): o for o in kustomize_build(REPO / "config" / "default")}
    role = {key(o): o for o in render_objects({"notebook_controller_deploy_image": IMAGE_PLACEHOLDER})}
    assert built.keys() == role.keys()
    for name, obj in role.items():
        assert built[name] == obj, name


def test_the_metrics_folder_gives_kube_state_metrics_its_config_and_rbac():
    built = {o["kind"]: o for o in kustomize_build(REPO / "config" / "metrics")}
    assert built.keys() == {"ConfigMap", "ClusterRole"}
    shipped = yaml.safe_load((ROLE / "files" / "kube-state-metrics.yaml").read_text())
    assert yaml.safe_load(built["ConfigMap"]["data"]["custom-resource-state.yaml"]) == shipped
    rules = role_variables()["notebook_controller_deploy_kube_state_metrics_permissions"]
    assert built["ClusterRole"]["rules"] == rules


def test_an_overlay_deploys_the_controller_on_the_real_control_plane(cluster, tmp_path):
    from kubernetes import client, dynamic

    prefix = f"t{secrets.token_hex(3)}-"
    namespace = f"{prefix}controller"
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [os.path.relpath(REPO / "config" / "default", overlay)],
        "namespace": namespace, "namePrefix": prefix,
        "images": [{"name": "controller", "newName": "registry.example.com/mlops-gitops-controller",
                    "newTag": "0.1.0"}],
    }))
    objects = kustomize_build(overlay)
    assert sorted(o["kind"] for o in objects) == sorted(o["kind"] for o in render_objects(
        {"notebook_controller_deploy_image": IMAGE_PLACEHOLDER}))
    assert all(o["metadata"]["name"].startswith(prefix) for o in objects)
    by_kind = {o["kind"]: o for o in objects}
    assert by_kind["Namespace"]["metadata"]["name"] == namespace

    api = cluster.api_client()
    dyn = dynamic.DynamicClient(api)
    created = []
    try:
        for obj in sorted(objects, key=lambda o: o["kind"] != "Namespace"):
            resource = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            ns = obj["metadata"].get("namespace") if resource.namespaced else None
            resource.create(body=obj, namespace=ns)
            created.append((resource, obj["metadata"]["name"], ns))

        # the real deployment controller rolls the Deployment out (no kubelet: pods stay Pending)
        apps = client.AppsV1Api(api)
        deadline = time.monotonic() + 60
        while True:
            rs = apps.list_namespaced_replica_set(namespace).items
            if rs:
                break
            assert time.monotonic() < deadline, "no ReplicaSet for the kustomize Deployment"
            time.sleep(0.5)
        container = rs[0].spec.template.spec.containers[0]
        assert container.image == "registry.example.com/mlops-gitops-controller:0.1.0"
        assert rs[0].spec.template.spec.service_account_name == f"{prefix}mlops-gitops-controller"

        # the ServiceAccount (renamed, in the overlay's namespace) holds the controller's rights
        core = client.CoreV1Api(api)
        token = core.create_namespaced_service_account_token(
            f"{prefix}mlops-gitops-controller", namespace,
            client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[]))).status.token
        config = client.Configuration()
        config.host = api.configuration.host
        config.ssl_ca_cert = api.configuration.ssl_ca_cert
        config.api_key = {"authorization": "Bearer " + token}
        auth = client.AuthorizationV1Api(client.ApiClient(config))

        def allowed(verb, group, resource, ns=None, wait=10):
            attributes = {"verb": verb, "group": group, "resource": resource}
            if ns:
                attributes["namespace"] = ns
            review = {"spec": {"resourceAttributes": attributes}}
            deadline = time.monotonic() + wait
            while True:  # RBAC reaches the authorizer through an informer: the grants above waited for it
                answer = auth.create_self_subject_access_review(review).status.allowed
                if answer or time.monotonic() > deadline:
                    return answer
                time.sleep(0.2)

        assert allowed("watch", "mlops.mlops.dev", "notebookvalidationjobs")
        assert allowed("patch", "argoproj.io", "applications", "anywhere")
        assert allowed("create", "coordination.k8s.io", "leases", namespace)
        assert not allowed("create", "coordination.k8s.io", "leases", "default", wait=0)
        assert not allowed("update", "mlops.mlops.dev", "notebookvalidationjobs/status", "anywhere", wait=0)
    finally:
        for resource, name, ns in reversed(created):
            try:
                resource.delete(name=name, namespace=ns)
            except Exception as exc:  # noqa: BLE001 - cleanup goes on
                print(json.dumps({"cleanup": name, "error": str(exc)}))
