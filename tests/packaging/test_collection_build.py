"""The collection as users get it: `ansible-galaxy collection build` + `install` from the tarball."""

import json
import os
import subprocess
import sys
import tarfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out), REPO],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    (path,) = out.glob("mlops-gitops-*.tar.gz")
    return path


def tracked_files():
    proc = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], capture_output=True, text=True, cwd=REPO)
    return [f for f in proc.stdout.splitlines() if os.path.exists(os.path.join(REPO, f))]


def test_tarball_holds_no_test_data_or_caches(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    forbidden = [
        n for n in names
        if n.startswith(("tests/", "tools/", "molecule/", ".venv", ".build", ".git"))
        or "__pycache__" in n
        or n.endswith((".pyc", ".tar.gz"))
        or ".pytest_cache" in n
    ]
    assert forbidden == []
    assert "MANIFEST.json" in names and "FILES.json" in names
    assert "meta/runtime.yml" in names


def test_every_plugin_role_and_playbook_is_in_the_tarball(tarball):
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    wanted = [
        f for f in tracked_files()
        if f.startswith(("plugins/", "roles/", "playbooks/", "meta/", "docs/")) and "__pycache__" not in f
    ]
    assert wanted, "nothing to check: git ls-files found no plugins"
    missing = [f for f in wanted if f not in names]
    assert missing == []


def test_manifest_declares_kubernetes_core_dependency(tarball):
    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"]) == ("mlops", "gitops")
    assert "kubernetes.core" in info["dependencies"]


def test_offline_install_from_tarball_and_ansible_doc(tarball, tmp_path):
    dest = tmp_path / "collections"
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--force",
         "-p", str(dest), str(tarball)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    installed = dest / "ansible_collections" / "mlops" / "gitops"
    assert (installed / "MANIFEST.json").is_file()
    modules = sorted(p.stem for p in (installed / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    assert modules, "the installed collection has no modules"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(dest))
    for module in modules:
        doc = subprocess.run(
            [os.path.join(BIN, "ansible-doc"), "--json", "mlops.gitops." + module],
            capture_output=True,
            text=True,
            env=env,
        )
        assert doc.returncode == 0, "{0}: {1}".format(module, doc.stderr)
        data = json.loads(doc.stdout)["mlops.gitops." + module]
        assert data["doc"]["short_description"]
        assert data["examples"] and data["return"] is not None
