#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: notebook_trigger
short_description: Fire the on-success triggers of a NotebookValidationJob exactly once per completion
version_added: 0.1.0
description:
  - Reads the trigger annotation (default C(mlops.dev/on-success-trigger)), a YAML list of
    C({apiVersion, kind, name, namespace, action, mode}), from one NotebookValidationJob and acts only when
    its phase is C(Succeeded).
  - "Actions: C(restart) (InferenceService: delete its pods created before the completion; Deployment,
    StatefulSet, DaemonSet: rolling restart), C(rollout) (InferenceService: timestamp in
    C(spec.predictor.annotations), a graceful rollout; other workloads as C(restart)), C(sync) (Argo CD
    Application: start a sync operation, deferred while another operation runs), C(refresh) (Application:
    C(argocd.argoproj.io/refresh), C(mode) C(normal) or C(hard); other kinds: C(mlops.dev/refreshedAt))."
  - Fires each target once per completion (job uid + completion time) however often it runs; what fired and
    with what result is recorded in the job's C(mlops.dev/trigger-status) annotation, and counted per action
    and result in annotations C(mlops.dev/triggers-<action>-<result>) (for kube-state-metrics). Failed and
    deferred targets are retried on the next run; a new completion fires everything again.
  - The whole list is validated (YAML, schema, limits, namespace policy) before anything fires; an invalid
    or refused list fires nothing, records a Warning Event on the job and fails the task.
  - Targets in the job's namespace are allowed; another namespace only when listed in O(allowed_namespaces)
    or when that namespace carries the annotation C(mlops.dev/allow-triggers-from) naming the job's namespace
    (or C(*)). An Application only when it is the job's own parent Application (the job names it and the
    Application deploys into the job's namespace) or its namespace is in O(allowed_namespaces).
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - mlops.gitops.notebook
  - mlops.gitops.notebook.job_object
  - mlops.gitops.notebook.argocd_namespace
options:
  allowed_namespaces:
    description:
      - Namespaces (besides the job's own) whose targets any job may trigger, set by the administrator.
      - C(*) allows every namespace. Also the namespaces of Applications that may be synced or refreshed
        without being the job's parent.
    type: list
    elements: str
    default: []
  trigger_annotation:
    description:
      - The annotation holding the trigger list. Set a distinct key when this collection runs next to the Go
        operator (which reads C(mlops.dev/on-success-trigger)), so the two never fire the same trigger.
      - The alias O(annotation) is deprecated and will be removed in version 2.0.0.
    type: str
    default: mlops.dev/on-success-trigger
    aliases: [annotation]
  max_targets:
    description: Most entries a trigger list may have (1 to 100).
    type: int
    default: 20
  retry_after:
    description: Seconds after which a deferred target (a sync waiting for another operation) should be retried.
    type: int
    default: 30
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reports what would fire and stores nothing; the claim, the actions, their Events and the record
      are sent as server-side dry runs, so a missing right fails the check as it would fail the real run.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The C(mlops.dev/trigger-status) record before and after.
requirements:
  - kubernetes >= 24.2.0
  - PyYAML >= 6.0
notes:
  - See C(docs/triggers.md) for the annotation reference, the security model and the RBAC verbs needed.
"""

EXAMPLES = r"""
- name: Fire the triggers of a trained model's validation job
  mlops.gitops.notebook_trigger:
    name: train-model
    namespace: ml-pipelines

- name: Allow targets in the serving namespace and use OpenShift GitOps
  mlops.gitops.notebook_trigger:
    name: train-model
    namespace: ml-pipelines
    allowed_namespaces: [model-serving]
    argocd_namespace: openshift-gitops

- name: Run beside the Go operator, reading a key it does not
  mlops.gitops.notebook_trigger:
    name: train-model
    namespace: ml-pipelines
    trigger_annotation: gitops.mlops.dev/on-success-trigger

- name: Show what would fire
  mlops.gitops.notebook_trigger:
    name: train-model
    namespace: ml-pipelines
  check_mode: true
  diff: true
"""

RETURN = r"""
key:
  description: The completion key (job uid, phase, completion time) the triggers fire for.
  returned: success
  type: str
  sample: 6f1c.../Succeeded/2026-01-24T22:30:00Z
fired:
  description:
    - One entry per target acted on in this run. Targets that already succeeded for this completion are not listed.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The target's id in the trigger record.
      returned: always
      type: str
    action:
      description: C(restart), C(rollout), C(sync) or C(refresh).
      returned: always
      type: str
    kind:
      description: The target's kind.
      returned: always
      type: str
      sample: InferenceService
    namespace:
      description: The target's namespace.
      returned: always
      type: str
    name:
      description: The target's name.
      returned: always
      type: str
    result:
      description: C(succeeded), C(failed), C(deferred); C(would fire) in check mode.
      returned: always
      type: str
    message:
      description: What was done, or why it failed or was put off.
      returned: always
      type: str
object:
  description:
    - The NotebookValidationJob after the last record update (only when one was written; in check mode as the
      server's dry run would leave it).
    - Without what the notebook cells printed unless O(return_cell_outputs=true), as they can be large.
    - Its keys are those of RV(mlops.gitops.notebook_wave#module:object); its C(metadata.annotations) carry the
      C(mlops.dev/trigger-status) record.
  returned: changed
  type: dict
diff:
  description: The C(mlops.dev/trigger-status) record before and after.
  returned: changed and diff mode
  type: complex
  contains:
    before:
      description: The record before this task, keyed C(mlops.dev/trigger-status) (null when there was none).
      returned: always
      type: dict
    after:
      description: The record after it (in check mode, the record the run would leave, from the dry runs).
      returned: always
      type: dict
deferred:
  description: Targets put off (a sync while another operation runs).
  returned: success
  type: list
  elements: dict
  contains:
    what:
      description: What was put off (the target's id).
      returned: always
      type: str
    reason:
      description: Why it was put off.
      returned: always
      type: str
    retry_after:
      description: Seconds after which to try again.
      returned: always
      type: int
      sample: 30
refused:
  description: Targets the security policy refused; nothing fires then.
  returned: success
  type: list
  elements: dict
  contains:
    what:
      description: What was refused.
      returned: always
      type: str
    reason:
      description: Why, and the fix.
      returned: always
      type: str
events:
  description: Names of the Events created on the job.
  returned: success
  type: list
  elements: str
"""

from ansible_collections.mlops.gitops.plugins.module_utils import (  # noqa: E402
    module_runner, notebook_trigger, nvj, trigger_parse,
)


OPTIONS = ("allowed_namespaces", "argocd_namespace", "trigger_annotation", "max_targets", "retry_after")


def execute(module, api):
    name, namespace = module.params["name"], module.params["namespace"]
    if not 1 <= module.params["max_targets"] <= 100:
        return {
            "failed": True,
            "msg": "max_targets must be between 1 and 100, not {0}".format(module.params["max_targets"]),
        }
    if module.params["retry_after"] < 1:
        return {"failed": True, "msg": "retry_after must be at least 1 second"}
    job, missing = module_runner.read_job(api, name, namespace)
    if missing:
        return missing
    options = dict((key, module.params[key]) for key in OPTIONS)
    return notebook_trigger.reconcile(api, job, options=options, check_mode=module.check_mode)


def main():
    module = module_runner.build_module(
        module_runner.JOB_SPEC,
        module_runner.ARGOCD_NAMESPACE_SPEC,
        module_runner.JOB_OBJECT_SPEC,
        {
            "allowed_namespaces": {"type": "list", "elements": "str", "default": []},
            "trigger_annotation": module_runner.renamed({"type": "str", "default": nvj.ANN_TRIGGER}, "annotation"),
            "max_targets": {"type": "int", "default": trigger_parse.DEFAULT_MAX_TARGETS},
            "retry_after": {"type": "int", "default": notebook_trigger.DEFAULT_RETRY_AFTER},
        }
    )
    module_runner.run(module, execute)


if __name__ == "__main__":
    main()
