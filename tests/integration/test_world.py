"""The test world (harness/world.py) against the real API server: every object it builds is stored
as built (no field pruned by a CRD schema, none refused), and a job's phases reach the server as the Go
operator writes them."""

from ansible_collections.mlops.gitops.plugins.module_utils import nvj

from harness import world


def missing(built, stored, path=""):
    """The paths of ``built`` that ``stored`` lacks or holds otherwise (the server may add defaults)."""
    if isinstance(built, dict) and isinstance(stored, dict):
        return [p for key, value in built.items() for p in missing(value, stored.get(key), f"{path}.{key}")]
    if isinstance(built, list) and isinstance(stored, list) and len(built) == len(stored):
        return [p for i, (a, b) in enumerate(zip(built, stored)) for p in missing(a, b, f"{path}[{i}]")]
    return [] if built == stored or built is None else [path]


def test_every_object_of_the_world_is_stored_as_built(api, namespace):
    job = world.job(namespace, wave=3, trigger=world.RESTART_TRIGGER, labels={nvj.LABEL_INSTANCE: world.APP_NAME},
                    status=world.status_at(world.JOB_NAME, nvj.FAILED, world.utc(), results=world.cell_results(2000)))
    stored_job = world.create(api, job)
    objs = [
        world.application(namespace, status=world.application_status("Running", world.stamp())),
        world.app_project(namespace, destinations=[namespace]),
        world.inference_service(namespace),
        world.deployment(namespace, replicas=0, isvc=world.ISVC_NAME),
        world.pod(namespace, "predictor-0"),
        world.event(namespace, stored_job, reason="ValidationFailed", event_type="Warning"),
    ]
    assert missing(job, stored_job) == []
    for obj in objs:
        stored = world.create(api, obj)
        assert missing(obj, stored) == [], obj["kind"]
    assert world.pods(api, namespace) == ["predictor-0"]
    assert [e["reason"] for e in world.events(api, namespace)] == ["ValidationFailed"]


def test_the_phases_are_written_as_the_go_operator_writes_them(api, namespace):
    world.create_job(api, namespace)
    seen = []
    done = world.run_phases(api, namespace, world.JOB_NAME, completed="2026-01-24T22:30:00Z",
                            on_phase=lambda job: seen.append(nvj.status(job)))
    assert [s["phase"] for s in seen] == ["Initializing", "Building", "BuildComplete", "ValidationRunning", "Succeeded"]
    assert {s["startTime"] for s in seen} == {world.STARTED}
    assert [s.get("completionTime") for s in seen] == [None] * 4 + ["2026-01-24T22:30:00Z"]
    assert [s.get("validationPodName") for s in seen] == [None] * 3 + ["train-model-validation"] * 2
    assert done == world.get_job(api, namespace)
    assert world.markers(done) == {}  # the Go operator writes status only: the markers are the controller's


def test_a_failed_job_marks_its_wave(api, playbook, namespace):
    """The example of CONTRIBUTING.md ("The test world"), as written there."""
    world.build(api, namespace)  # Application, InferenceService + 2 pods, job train-model (wave 3)
    world.run_phases(api, namespace, world.JOB_NAME, outcome=nvj.FAILED)  # as the Go operator writes them
    playbook.run([{"mlops.gitops.notebook_reconcile": {"name": world.JOB_NAME, "namespace": namespace,
                                                       "argocd_namespace": namespace}}])
    assert world.markers(world.get_job(api, namespace))[nvj.ANN_WAVE_FAILED] == "3"
    assert len(world.pods(api, namespace)) == 2  # no restart on failure
