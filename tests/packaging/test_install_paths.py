"""Every install path the README's Install section offers, each into an empty collections path.

- the tarball with ``--offline`` (kubernetes.core: the one PyPI's ``ansible`` package installed, as the
  README says);
- a ``requirements.yml`` with ``type: git`` and ``git+file://`` pointing at a local clone of this
  repository (so it installs what is committed: HEAD of the clone);
- a ``requirements.yml`` with ``type: dir`` pointing at this checkout.

After each: ``ansible-doc -l mlops.gitops`` lists every module from that collections path and nothing
else of ours, and the playbook ``mlops.gitops.install`` runs from it against the test cluster.
Galaxy and Automation Hub cannot be reached from here; ``make galaxy-import`` runs their upload check.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(REPO, "plugins", "modules")) if name.endswith(".py")
                 and name != "__init__.py")


def clean_env(collections, **extra):
    """No collections path but ``collections``: nothing the Makefile installed (PYTHONPATH, ANSIBLE_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "K8S_AUTH_")) and k != "PYTHONPATH"}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOWS="1",
               ANSIBLE_LOCAL_TEMP=str(collections.parent / "ansible-tmp"), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    env.update(extra)
    return env


def run(cmd, env, cwd=None, timeout=600):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    shown = " ".join(map(str, cmd))
    assert proc.returncode == 0, "{0}\n{1}\n{2}".format(shown, proc.stdout[-4000:], proc.stderr[-4000:])
    return proc


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out), REPO],
        env=clean_env(out / "none"), cwd=REPO)
    (path,) = out.glob("mlops-gitops-*.tar.gz")
    return path


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    if shutil.which("git") is None or not os.path.isdir(os.path.join(REPO, ".git")):
        pytest.skip("needs git and a git checkout")
    path = tmp_path_factory.mktemp("clone") / "gitops"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", REPO, str(path)], check=True)
    return path


def install_tarball(tarball, dest, tmp_path):
    return [os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-p", str(dest), str(tarball)]


def install_requirements(entry, dest, tmp_path):
    requirements = tmp_path / "requirements.yml"
    requirements.write_text(yaml.safe_dump({"collections": [entry]}))
    return [os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-p", str(dest),
            "-r", str(requirements)]


def check_installed(dest, cluster, namespace):
    """ansible-doc sees our modules in ``dest``; the install playbook runs from there against the cluster."""
    installed = dest / "ansible_collections" / "mlops" / "gitops"
    assert (installed / "MANIFEST.json").is_file(), "no MANIFEST.json: not installed as a built collection"
    assert not (installed / "tests").exists() and not (installed / ".git").exists(), "build_ignore was not applied"
    from kubernetes import client, config

    core = client.CoreV1Api(config.new_client_from_config(config_file=cluster.kubeconfig))
    for name in ("argocd-cm", "argocd-notifications-cm"):  # what an Argo CD installation has
        core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name)))
    env = clean_env(dest, KUBECONFIG=cluster.kubeconfig, K8S_AUTH_KUBECONFIG=cluster.kubeconfig)
    listed = run([os.path.join(BIN, "ansible-doc"), "-l", "--json", "mlops.gitops"], env=env)
    names = json.loads(listed.stdout)
    assert sorted(n.split(".", 2)[2] for n in names) == MODULES, listed.stderr
    shown = run([os.path.join(BIN, "ansible-doc"), "--json", "mlops.gitops.notebook_wave"], env=env)
    source = json.loads(shown.stdout)["mlops.gitops.notebook_wave"]["doc"]["filename"]
    assert source.startswith(str(installed)), "ansible-doc read {0}, not the collection just installed".format(source)
    play = run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", "mlops.gitops.install",
                "-e", json.dumps({"argocd_namespace": namespace, "argocd_target": "configmap"})],
               env=dict(env, ANSIBLE_LOCALHOST_WARNING="false"))
    assert "failed=0" in play.stdout and "ok=" in play.stdout, play.stdout
    health = core.read_namespaced_config_map("argocd-cm", namespace).data
    assert any("mlops.mlops.dev_NotebookValidationJob" in key for key in health), sorted(health)
    notifications = core.read_namespaced_config_map("argocd-notifications-cm", namespace).data
    assert "trigger.on-notebook-validation-failed" in notifications, sorted(notifications)


def test_tarball_offline(tarball, tmp_path, cluster, namespace):
    dest = tmp_path / "collections"
    run(install_tarball(tarball, dest, tmp_path), env=clean_env(dest))
    check_installed(dest, cluster, namespace)


def test_requirements_git_from_a_local_clone(clone, tmp_path, cluster, namespace):
    dest = tmp_path / "collections"
    entry = {"name": "git+file://{0}".format(clone), "type": "git"}
    run(install_requirements(entry, dest, tmp_path), env=clean_env(dest))
    check_installed(dest, cluster, namespace)


def test_requirements_dir(tmp_path, cluster, namespace):
    dest = tmp_path / "collections"
    run(install_requirements({"name": REPO, "type": "dir"}, dest, tmp_path), env=clean_env(dest))
    check_installed(dest, cluster, namespace)
