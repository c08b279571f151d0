"""Issue 14, items 10, 11, 17 and 18: the wait_for_wave playbook as a new user runs it (names as AWX sends them,
durations, progress while waiting, the renamed variables), through the real ansible-playbook against the cluster."""

import time

from ansible_collections.mlops.gitops.plugins.module_utils import notebook_wait
from harness.world import create_job, set_phase

DONE = "2026-01-24T22:30:00Z"
WAIT_TASK = "Wait until the selected NotebookValidationJobs succeeded"


def wait_result(run):
    found = [res for name, res in run.tasks if name.startswith(WAIT_TASK)]
    assert found, (run.tasks, run.stdout[-2000:], run.stderr[-2000:])
    return found[-1]


def names(states):
    return [s["name"] for s in states]


# -- 10. names given as "a, b" ------------------------------------------------------------------
def test_selector_trims_names():
    assert notebook_wait.Selector(names=["prepare", " train", " ", ""]).names == ["prepare", "train"]


def test_playbook_trims_names_given_as_text(playbook, api, namespace):
    for name in ("prepare", "train"):
        create_job(api, namespace, name)
        set_phase(api, namespace, name, "Succeeded", completed=DONE)
    run = playbook.run(None, playbook="mlops.gitops.wait_for_wave",
                       extra_vars={"job_namespace": namespace, "names": "prepare, train", "wait_timeout": 10})
    assert run.rc == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert names(wait_result(run)["succeeded_jobs"]) == ["prepare", "train"]


# -- 11. wait_timeout: seconds or a duration, anything else refused --------------------------------
def test_wait_timeout_accepts_durations_and_refuses_the_rest(playbook, api, namespace):
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "Succeeded", completed=DONE)
    ok = playbook.run(None, playbook="mlops.gitops.wait_for_wave",
                      extra_vars={"job_namespace": namespace, "wave": "3", "wait_timeout": "2m"})
    assert ok.rc == 0, ok.stdout[-2000:]
    assert "up to 120s" in [name for name, _ in ok.tasks if name.startswith(WAIT_TASK)][0]
    for bad in ("abc", "30x", "-5", "0"):
        run = playbook.run(None, playbook="mlops.gitops.wait_for_wave",
                           extra_vars={"job_namespace": namespace, "wave": "3", "wait_timeout": bad})
        assert run.rc != 0
        check = run.result("Check wait_timeout and poll_interval")
        assert "wait_timeout must be a number of seconds (1800) or a duration" in check["msg"], check
        assert not [name for name, _ in run.tasks if name.startswith(WAIT_TASK)]  # refused before waiting


# -- 17. progress: a line per poll ---------------------------------------------------------------
def test_the_wait_prints_a_line_per_poll_naming_what_it_waits_for(playbook, api, namespace):
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "ValidationRunning")
    run = playbook.run(None, playbook="mlops.gitops.wait_for_wave",
                       extra_vars={"job_namespace": namespace, "wave": "3", "wait_timeout": 6, "poll_interval": 2},
                       env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})
    assert run.rc != 0
    retries = [line for line in run.stdout.splitlines() if line.startswith("FAILED - RETRYING")]
    # at most three polls of 2s: at most two retries, fewer when starting each poll took its share of the 6 s
    # (the deadline is the wall clock's, issue 22 finding 7)
    assert 1 <= len(retries) <= 2, run.stdout[-3000:]
    assert all("sync-wave 3 in " + namespace in line for line in retries), retries
    assert "timed out after 6s waiting for the NotebookValidationJobs" in run.stdout


def test_the_wait_still_times_out_after_wait_timeout_in_total(playbook, api, namespace):
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "ValidationRunning")
    start = time.monotonic()
    run = playbook.run(None, playbook="mlops.gitops.wait_for_wave",
                       extra_vars={"job_namespace": namespace, "wave": "3", "wait_timeout": "3s",
                                   "poll_interval": 1})
    assert run.rc != 0
    assert time.monotonic() - start < 60
    assert wait_result(run)["timed_out"] is True
    failed = run.result("Fail after wait_timeout")
    assert failed["msg"].startswith("timed out after 3s waiting for the NotebookValidationJobs"), failed["msg"]
    assert "train (ValidationRunning)" in failed["msg"]


# -- 18. reserved names: renamed, the old ones deprecated ------------------------------------------
def test_old_variable_names_work_with_a_deprecation_warning(playbook, api, namespace):
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "Succeeded", completed=DONE)
    old = playbook.run(None, playbook="mlops.gitops.wait_for_wave",
                       extra_vars={"namespace": namespace, "wave": "3", "timeout": 30},
                       env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})
    assert old.rc == 0, old.stdout[-2000:] + old.stderr[-2000:]
    text = " ".join((old.stdout + old.stderr).split())
    assert "'namespace' is deprecated" in text and "set 'job_namespace' instead" in text, text[-3000:]
    assert "'timeout' is deprecated" in text and "set 'wait_timeout' instead" in text
    assert "up to 30s" in text

    new = playbook.run(None, playbook="mlops.gitops.wait_for_wave",
                       extra_vars={"job_namespace": namespace, "wave": "3", "wait_timeout": 30},
                       env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})
    assert new.rc == 0
    # only this collection's own warning: other libraries may print deprecations of their own (cryptography
    # 51 warns about DSA keys through ansible), which say nothing about the playbook's variables
    text = " ".join((new.stdout + new.stderr).split())
    assert "(Ansible reserves that name)" not in text, text[-3000:]
    assert "'namespace' is deprecated" not in text and "'timeout' is deprecated" not in text
