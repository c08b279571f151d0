"""The execution environment definition produces a build context that installs what the
collection needs (ansible-builder `create` needs no container engine)."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def installed_collections_root():
    for entry in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
        if os.path.isfile(os.path.join(entry, "ansible_collections", "mlops", "gitops", "MANIFEST.json")):
            return entry
    pytest.skip("the collection is not installed; run through `make check` (it builds and installs it)")


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """Run `ansible-builder create` on a copy of the repository's EE files, with `.build/collections`
    pointing at the installed collection exactly as `make collection` leaves it."""
    project = tmp_path_factory.mktemp("ee-project")
    for name in ("execution-environment.yml", "requirements.txt"):
        shutil.copy(os.path.join(ROOT, name), project / name)
    (project / ".build").mkdir()
    os.symlink(installed_collections_root(), project / ".build" / "collections")
    ctx = project / "context"
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-builder"), "create", "-f", "execution-environment.yml",
         "-c", str(ctx), "--output-filename", "Containerfile"],
        cwd=str(project), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return ctx


def test_definition_is_schema_v3():
    with open(os.path.join(ROOT, "execution-environment.yml")) as handle:
        definition = yaml.safe_load(handle)
    assert definition["version"] == 3
    assert definition["dependencies"]["python"] == "requirements.txt"
    with open(os.path.join(ROOT, "meta", "execution-environment.yml")) as handle:
        meta = yaml.safe_load(handle)
    assert meta["dependencies"]["python"] == "requirements.txt"


def test_containerfile_installs_python_ansible_collections_and_requirements(context):
    text = (context / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in text
    assert 'ARG PYCMD="/usr/bin/python3.11"' in text
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core==2.19.14 ansible-runner==2.4.3"' in text
    assert "RUN $PYCMD -m pip install --no-cache-dir $ANSIBLE_INSTALL_REFS" in text
    assert "COPY _build /build" in text
    assert 'ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml' in text
    assert "introspect.py introspect --user-pip=requirements.txt" in text
    assert "RUN /output/scripts/check_ansible $PYCMD" in text
    assert "COPY --from=galaxy /usr/share/ansible /usr/share/ansible" in text


def test_build_files_hold_requirements_and_the_collection(context):
    build = context / "_build"
    with open(os.path.join(ROOT, "requirements.txt")) as handle:
        assert (build / "requirements.txt").read_text() == handle.read()
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    names = {entry["name"]: entry for entry in galaxy["collections"]}
    assert names["kubernetes.core"]["version"] == ">=3.0.0"
    ours = names["/build/collections/mlops.gitops"]
    assert ours["type"] == "dir"
    manifest = json.loads((build / "collections" / "mlops.gitops" / "MANIFEST.json").read_text())
    assert (manifest["collection_info"]["namespace"], manifest["collection_info"]["name"]) == ("mlops", "gitops")
    assert (build / "collections" / "mlops.gitops" / "meta" / "execution-environment.yml").is_file()
    for script in ("introspect.py", "assemble", "check_ansible", "check_galaxy", "pip_install"):
        assert (build / "scripts" / script).is_file(), script


def test_galaxy_stage_and_introspection_resolve_the_collection(context, tmp_path):
    """Replay what the image build does with the context: install the galaxy requirements
    (offline: kubernetes.core comes from the `ansible` package here), then let the builder's
    own introspect script collect the Python requirements from the installed collections."""
    build = context / "_build"
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    for entry in galaxy["collections"]:
        if entry["name"].startswith("/build/"):
            entry["name"] = str(build) + entry["name"][len("/build"):]
    requirements = tmp_path / "requirements.yml"
    requirements.write_text(yaml.safe_dump(galaxy))
    target = tmp_path / "collections"
    env = dict(os.environ, ANSIBLE_GALAXY_DISABLE_GPG_VERIFY="1", ANSIBLE_COLLECTIONS_PATH=str(target))
    env.pop("PYTHONPATH", None)  # it holds the test install of mlops.gitops, which would be "already installed"
    proc = subprocess.run(
        [os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-r", str(requirements),
         "--collections-path", str(target)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (target / "ansible_collections" / "mlops" / "gitops" / "MANIFEST.json").is_file()

    pip_out = tmp_path / "pip.txt"
    proc = subprocess.run(
        [sys.executable, str(build / "scripts" / "introspect.py"), "introspect", str(target),
         "--user-pip", str(build / "requirements.txt"), "--write-pip", str(pip_out)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = pip_out.read_text().splitlines()
    assert "kubernetes>=24.2.0  # from collection mlops.gitops" in lines
    assert not [line for line in lines if line.startswith("jmespath")]  # nothing uses it (issue 14 item 19)
