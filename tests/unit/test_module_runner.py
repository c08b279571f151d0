"""What a task returns, the kubernetes.core way: diff only in diff mode, the job without cell outputs unless
asked, secrets never in a result, a clear failure on a too-old kubernetes library, and RETURN docs that
describe nested keys with ``contains``."""

import ast
import copy
import glob
import os

import kubernetes
import yaml
from ansible_collections.mlops.gitops.plugins.module_utils import module_runner, nvj

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
PRINTED = "epoch 1 loss=0.5\n" * 1000


def job_with_outputs():
    return {
        "apiVersion": nvj.API_VERSION,
        "kind": nvj.KIND,
        "metadata": {"name": "train", "namespace": "ml", "annotations": {"a": "b"}},
        "spec": {"notebook": {"path": "train.ipynb"}},
        "status": {
            "phase": "Failed",
            "results": [{"cellIndex": 0, "status": "Success", "output": PRINTED},
                        {"cellIndex": 1, "status": "Failure", "errorMessage": "boom", "output": "Traceback"}],
            "comparisonResult": {"result": "failed", "matchedCells": 0, "mismatchedCells": 1, "diffs": [
                {"cellIndex": 1, "cellType": "code", "diffType": "output_mismatch", "severity": "major",
                 "actual": "1", "expected": "2", "diff": "-2\n+1"}]},
        },
    }


def test_cell_outputs_are_trimmed_without_changing_or_deep_copying_the_job():
    job = job_with_outputs()
    before = copy.deepcopy(job)
    trimmed = nvj.without_cell_outputs(job)
    assert trimmed["status"]["results"] == [{"cellIndex": 0, "status": "Success"},
                                            {"cellIndex": 1, "status": "Failure", "errorMessage": "boom"}]
    assert trimmed["status"]["comparisonResult"] == {"result": "failed", "matchedCells": 0, "mismatchedCells": 1,
                                                     "diffs": [{"cellIndex": 1, "cellType": "code",
                                                                "diffType": "output_mismatch", "severity": "major"}]}
    assert trimmed["status"]["phase"] == "Failed"
    assert job == before  # the caller's job keeps its outputs
    assert trimmed["metadata"] is job["metadata"] and trimmed["spec"] is job["spec"]  # shared, not copied


def test_a_job_without_outputs_is_returned_as_it_is():
    for job in ({"metadata": {"name": "x"}}, {"status": {"phase": "Running"}}, None):
        assert nvj.without_cell_outputs(job) is job


def step_results():
    return {
        "changed": True,
        "diff": [{"before": {}, "after": {}}],
        "object": job_with_outputs(),
        "steps": {"wave": {"changed": True, "diff": {"before": {}, "after": {"x": 1}}}},
        "jobs": [{"name": "a", "steps": {"event": {"changed": True, "diff": {"before": {}, "after": {}}}}}],
        "status": {"changed": True, "diff": {"before": {}, "after": {}}},
    }


def test_diff_is_returned_only_in_diff_mode_at_every_level():
    plain = module_runner.finish(step_results(), diff_mode=False)
    assert "diff" not in plain and "diff" not in plain["steps"]["wave"] and "diff" not in plain["status"]
    assert "diff" not in plain["jobs"][0]["steps"]["event"]
    shown = module_runner.finish(step_results(), diff_mode=True)
    assert shown["diff"] and shown["steps"]["wave"]["diff"]["after"] == {"x": 1} and shown["status"]["diff"]
    assert shown["jobs"][0]["steps"]["event"]["diff"] == {"before": {}, "after": {}}


def test_object_keeps_its_cell_outputs_only_when_asked():
    trimmed = module_runner.finish(step_results(), diff_mode=False)["object"]
    assert all("output" not in cell for cell in trimmed["status"]["results"])
    kept = module_runner.finish(step_results(), diff_mode=False, cell_outputs=True)["object"]
    assert kept["status"]["results"][0]["output"] == PRINTED


def inline_kubeconfig(token):
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://10.0.0.1:6443"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u", "namespace": "default"}}],
        "users": [{"name": "u", "user": {"token": token, "client-key-data": "S0VZ"}}],
    }


def test_secrets_are_the_auth_secrets_and_the_kubeconfig_users_only():
    params = {"kubeconfig": inline_kubeconfig("sekret-token"), "api_key": "the-api-key", "password": "pw",
              "proxy_headers": {"basic_auth": "user:pass", "user_agent": "ua"}}
    secrets = module_runner.secret_values(params)
    assert {"sekret-token", "S0VZ", "the-api-key", "pw", "user:pass"} <= secrets
    assert not secrets & {"v1", "Config", "default", "https://10.0.0.1:6443", "ua"}
    assert module_runner.secret_values({"kubeconfig": "/home/me/.kube/config"}) == set()  # a path is no secret


def test_redact_masks_secrets_wherever_they_appear_and_nothing_else():
    params = {"kubeconfig": inline_kubeconfig("sekret-token"), "api_key": "the-api-key"}
    result = {"msg": "401 for token sekret-token", "steps": {"wave": {"msg": "key the-api-key refused"}},
              "object": {"apiVersion": "mlops.mlops.dev/v1alpha1", "metadata": {"namespace": "default"}}}
    redacted = module_runner.redact(result, params)
    text = repr(redacted)
    assert "sekret-token" not in text and "the-api-key" not in text
    assert redacted["object"] == result["object"]


def test_a_too_old_kubernetes_library_is_refused_naming_the_minimum(monkeypatch):
    assert module_runner.kubernetes_problem() is None  # the one installed here is supported
    monkeypatch.setattr(kubernetes, "__version__", "23.6.0")
    problem = module_runner.kubernetes_problem()
    assert "kubernetes Python library 23.6.0" in problem and "too old" in problem
    assert "kubernetes >= 24.2.0" in problem and "pip install 'kubernetes>=24.2.0'" in problem
    monkeypatch.setattr(kubernetes, "__version__", "24.2.0")
    assert module_runner.kubernetes_problem() is None


def test_the_minimum_is_the_one_requirements_and_docs_name():
    with open(os.path.join(ROOT, "requirements.txt")) as handle:
        assert "kubernetes>={0}\n".format(module_runner.MIN_KUBERNETES) in handle.read()
    clients = [(path, doc) for path, doc, _ in module_docs()
               if "kubernetes.core.k8s_auth_options" in doc.get("extends_documentation_fragment", [])]
    assert len(clients) >= 8
    for path, doc in clients:
        assert "kubernetes >= {0}".format(module_runner.MIN_KUBERNETES) in doc["requirements"], path


def module_docs():
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))):
        tree = ast.parse(open(path).read())
        values = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                  for t in node.targets if isinstance(t, ast.Name) and isinstance(node.value, ast.Constant)}
        yield os.path.basename(path), yaml.safe_load(values["DOCUMENTATION"]), yaml.safe_load(values["RETURN"])


def nested_without_contains(entries, where=""):
    """RETURN keys that hold named keys but neither list them in ``contains`` nor point (RV) to where they
    are listed."""
    bad = []
    for key, entry in entries.items():
        path = where + key
        nested = entry.get("type") == "complex" or entry.get("elements") == "dict"
        description = " ".join(entry["description"]) if isinstance(entry["description"], list) else entry["description"]
        if nested and not entry.get("contains") and "RV(" not in description:
            bad.append(path)
        bad += nested_without_contains(entry.get("contains") or {}, path + ".")
    return bad


def test_return_docs_describe_nested_keys_with_contains():
    for path, _, returns in module_docs():
        assert nested_without_contains(returns) == [], path


def test_a_kubeconfig_that_cannot_be_used_is_a_clear_failure_and_anything_else_raises():
    """kubernetes.core's and the kubernetes client's kubeconfig errors, matched by class (not by name)."""
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
    from kubernetes.config.config_exception import ConfigException

    for exc in (CoreException("Could not create API client: no current-context"), ConfigException("bad kubeconfig")):
        result = module_runner.failure(exc)
        assert result["failed"] and result["msg"].startswith("Could not connect to the Kubernetes API: "), result
    assert module_runner.failure(ValueError("a bug")) is None  # raised by the caller: not an API-layer error
