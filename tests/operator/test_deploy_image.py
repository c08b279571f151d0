"""Installing the controller needs an image built from this repository: without one the deploy role stops
before touching the cluster, with an error that names the variable to set."""

import os
import subprocess
import sys
from pathlib import Path


def run_role(tmp_path, extra_vars):
    playbook = tmp_path / "deploy.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_role:\n        name: mlops.gitops.notebook_controller_deploy\n")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)]
    for key, value in extra_vars.items():
        cmd += ["-e", f"{key}={value}"]
    # no Kubernetes API: the check must come before any request
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "K8S_AUTH_HOST": "https://127.0.0.1:9",
           "HOME": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"), "ANSIBLE_NOCOLOR": "1"}
    for name in ("ANSIBLE_COLLECTIONS_PATH", "PYTHONPATH"):
        if name in os.environ:
            env[name] = os.environ[name]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def test_no_image_is_a_clear_error_naming_the_variable(tmp_path):
    result = run_role(tmp_path, {})
    assert result.returncode != 0
    assert "notebook_controller_deploy_image is not set" in result.stdout, result.stdout[-3000:]
    assert "Require the controller image" in result.stdout
    assert "Apply the controller" not in result.stdout  # stopped before any object


def test_removing_the_controller_needs_no_image(tmp_path):
    result = run_role(tmp_path, {"notebook_controller_deploy_state": "absent"})
    assert "notebook_controller_deploy_image is not set" not in result.stdout
