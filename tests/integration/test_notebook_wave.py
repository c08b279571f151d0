"""Sync-wave markers against the cluster: set on completion, cleared on re-run, no write when settled,
lost updates re-decided; and the module's wiring (check mode, diff, idempotence, a missing job)."""

from ansible_collections.mlops.gitops.plugins.module_utils import nvj, notebook_wave
from harness.world import create_job, get_job, markers, set_phase

T1 = "2026-01-24T22:30:00Z"
T2 = "2026-01-25T08:00:00Z"


def reconcile(api, namespace, name, **kwargs):
    return notebook_wave.reconcile(api, get_job(api, namespace, name), **kwargs)


def test_markers_follow_the_phase_and_settle(api, namespace):
    create_job(api, namespace, "train", wave="3", annotations={"team": "ml"})

    set_phase(api, namespace, "train", "Succeeded", completed=T1)
    result = reconcile(api, namespace, "train")
    assert result["changed"] is True and result["wave"] == "3"
    assert markers(result["object"]) == {nvj.ANN_WAVE_COMPLETE: "3", nvj.ANN_COMPLETION_TIME: T1}
    assert nvj.annotations(result["object"])["team"] == "ml"

    version = nvj.metadata(get_job(api, namespace, "train"))["resourceVersion"]
    again = reconcile(api, namespace, "train")
    assert again["changed"] is False and "object" not in again
    assert nvj.metadata(get_job(api, namespace, "train"))["resourceVersion"] == version  # nothing was written

    set_phase(api, namespace, "train", "ValidationRunning")  # the job runs again
    cleared = reconcile(api, namespace, "train")
    assert cleared["changed"] is True and markers(get_job(api, namespace, "train")) == {}
    assert cleared["diff"]["before"]["annotations"] == {nvj.ANN_WAVE_COMPLETE: "3", nvj.ANN_COMPLETION_TIME: T1}

    set_phase(api, namespace, "train", "Failed", completed=T2)
    reconcile(api, namespace, "train")
    assert markers(get_job(api, namespace, "train")) == {nvj.ANN_WAVE_FAILED: "3", nvj.ANN_FAILURE_TIME: T2}

    set_phase(api, namespace, "train", "Succeeded", completed="2026-01-25T09:00:00Z")  # retried and succeeded
    reconcile(api, namespace, "train")
    assert markers(get_job(api, namespace, "train")) == {
        nvj.ANN_WAVE_COMPLETE: "3", nvj.ANN_COMPLETION_TIME: "2026-01-25T09:00:00Z"}
    assert nvj.annotations(get_job(api, namespace, "train"))["team"] == "ml"


def test_job_without_sync_wave_is_marked_wave_zero(api, namespace):
    create_job(api, namespace, "plain", wave=None)
    set_phase(api, namespace, "plain", "Failed", completed=T1)
    result = reconcile(api, namespace, "plain")
    assert result["wave"] == "0"
    assert markers(get_job(api, namespace, "plain")) == {nvj.ANN_WAVE_FAILED: "0", nvj.ANN_FAILURE_TIME: T1}


def test_stale_copy_is_re_read_not_overwritten(api, namespace):
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "Succeeded", completed=T1)
    stale = get_job(api, namespace, "train")
    # Someone else writes the job after we read it: our resourceVersion no longer matches.
    other = {"metadata": {"annotations": {"other": "writer"}}}
    api.patch(nvj.API_VERSION, nvj.KIND, "train", other, namespace=namespace)
    result = notebook_wave.reconcile(api, stale)
    assert result["changed"] is True
    fresh = get_job(api, namespace, "train")
    assert markers(fresh) == {nvj.ANN_WAVE_COMPLETE: "3", nvj.ANN_COMPLETION_TIME: T1}
    assert nvj.annotations(fresh)["other"] == "writer"


def test_check_mode_writes_nothing(api, namespace):
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "Succeeded", completed=T1)
    result = reconcile(api, namespace, "train", check_mode=True)
    assert result["changed"] is True and result["diff"]["after"]["annotations"][nvj.ANN_WAVE_COMPLETE] == "3"
    assert markers(get_job(api, namespace, "train")) == {}


def test_check_mode_sends_the_patch_as_a_dry_run_and_reports_the_diff(api, kube, namespace):
    """(Was a unit test with a client that refused writes: check mode now writes, as a server-side dry run.)"""
    create_job(api, namespace, "train", wave="3")
    set_phase(api, namespace, "train", "Failed", completed=T1)
    reconcile(api, namespace, "train")
    set_phase(api, namespace, "train", "Succeeded", completed=T2)  # retried and succeeded
    stored = get_job(api, namespace, "train")
    kube.clear_log()
    result = notebook_wave.reconcile(api, stored, check_mode=True)
    assert result["changed"] is True
    before = {nvj.ANN_WAVE_FAILED: "3", nvj.ANN_FAILURE_TIME: T1}
    after = {nvj.ANN_WAVE_COMPLETE: "3", nvj.ANN_COMPLETION_TIME: T2}
    assert result["diff"] == {"before": {"annotations": before}, "after": {"annotations": after}}
    assert markers(result["object"]) == after  # the server's answer to the dry run: the job as it would be
    assert get_job(api, namespace, "train") == stored  # and nothing stored
    patches = [e for e in kube.request_log if e["verb"] == "patch"]
    assert [(e["resource"], e["query"].get("dryRun"), e["code"]) for e in patches] == [(nvj.PLURAL, "All", 200)]


def test_module_check_mode_diff_idempotence_and_missing_job(playbook, api, namespace):
    create_job(api, namespace, "train", wave="5")
    set_phase(api, namespace, "train", "Succeeded", completed=T1)
    task = {"mlops.gitops.notebook_wave": {"name": "train", "namespace": namespace}}
    run = playbook.run(
        [
            dict(task, name="preview", check_mode=True, diff=True),
            dict(task, name="apply"),
            dict(task, name="again"),
            {"name": "missing", "mlops.gitops.notebook_wave": {"name": "nope", "namespace": namespace},
             "ignore_errors": True},
        ]
    )
    preview = run.result("preview")
    assert preview["changed"] is True and preview["markers"][nvj.ANN_WAVE_COMPLETE] == "5"
    assert preview["diff"]["after"]["annotations"] == {nvj.ANN_WAVE_COMPLETE: "5", nvj.ANN_COMPLETION_TIME: T1}
    assert run.result("apply")["changed"] is True
    assert run.result("again")["changed"] is False
    missing = run.result("missing")
    assert missing["failed"] is True
    assert "NotebookValidationJob {0}/nope not found".format(namespace) in missing["msg"]
    assert markers(get_job(api, namespace, "train")) == {nvj.ANN_WAVE_COMPLETE: "5", nvj.ANN_COMPLETION_TIME: T1}
