"""Run real ansible-playbook processes against the test cluster and read their results as JSON."""

import json
import os
import subprocess
import sys

import yaml

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


class PlaybookResult:
    def __init__(self, rc, data, stdout, stderr):
        self.rc = rc
        self.data = data
        self.stdout = stdout
        self.stderr = stderr

    @property
    def tasks(self):
        """``[(task name, result dict for localhost)]`` in order."""
        out = []
        for play in (self.data or {}).get("plays", []):
            for task in play.get("tasks", []):
                out.append((task["task"]["name"], task["hosts"].get("localhost", {})))
        return out

    def result(self, name):
        """The result of the task called ``name`` (the last one, when repeated)."""
        found = [res for task_name, res in self.tasks if task_name == name]
        assert found, "no task named {0!r}; ran {1}\n{2}".format(name, [t for t, _ in self.tasks], self.stderr)
        return found[-1]

    @property
    def stats(self):
        return (self.data or {}).get("stats", {}).get("localhost", {})


class PlaybookRunner:
    def __init__(self, cluster, tmp_path):
        self.cluster = cluster
        self.tmp_path = tmp_path
        self.count = 0

    def run(self, tasks, check=False, diff=False, extra_vars=None, roles=None, env=None, playbook=None):
        """Run ``tasks`` (a list of task dicts) or an existing ``playbook`` file path."""
        self.count += 1
        if playbook is None:
            play = {"name": "test", "hosts": "localhost", "gather_facts": False, "tasks": tasks or []}
            if roles:
                play["roles"] = roles
            playbook = str(self.tmp_path / "play{0}.yml".format(self.count))
            with open(playbook, "w") as handle:
                yaml.safe_dump([play], handle, sort_keys=False)
        cmd = [ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local", playbook]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        run_env = self.cluster.env()
        run_env.update(
            {
                "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
                "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
                "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
                "ANSIBLE_LOCALHOST_WARNING": "false",
                "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            }
        )
        run_env.update(env or {})
        proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env, timeout=600)
        try:
            data = json.loads(proc.stdout)
        except ValueError:
            data = None
        return PlaybookResult(proc.returncode, data, proc.stdout, proc.stderr)


def assert_alias_deprecated(result, old):
    """``result`` (a task's) carries the deprecation warning of the former option name ``old``."""
    text = json.dumps(result.get("deprecations") or [], default=str)
    assert "Alias '{0}' is deprecated".format(old) in text, result
    assert "2.0.0" in text and "mlops.gitops" in text, text


def assert_value_deprecated(result, variable, old, new):
    """``result`` (a task's) carries the deprecation warning of the former value ``old`` of ``variable``, naming the
    value to set instead, ``new``."""
    text = json.dumps(result.get("deprecations") or [], default=str)
    assert variable in text and "{0!r} is deprecated; set {1!r} instead".format(old, new) in text, result
    assert "2.0.0" in text and "mlops.gitops" in text, text
