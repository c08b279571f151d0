#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: notebook_event
short_description: Record one Kubernetes Event per completion of a NotebookValidationJob
version_added: 0.1.0
description:
  - When the job is C(Succeeded), records a C(Normal) Event with reason C(ValidationSucceeded); when C(Failed),
    a C(Warning) Event with reason C(ValidationFailed). A job that is still running gets none.
  - The message names the phase, the retries, the duration, the parent Argo CD Application, the failure message,
    a suggested action derived from the failure message, and the C(kubectl logs) command for the validation pod.
  - Labels C(app.kubernetes.io/part-of) and C(mlops.dev/application) name the parent Argo CD Application
    (found by tracking id, then C(app.kubernetes.io/instance), then C(app.kubernetes.io/part-of));
    C(mlops.dev/notification-type) is C(validation-success) or C(validation-failure). A name longer than a label
    value may be (63 characters) is not cut; the label holds its first 52 characters, C(-) and the first 10 hex
    digits of the SHA-256 of the whole name, and the annotation C(mlops.dev/application) always holds the whole
    name (see C(docs/notifications.md) for the selector).
  - The Application is named only when it agrees that it deploys into the job's namespace (its
    C(spec.destination.namespace) or C(status.resources)), or does not exist yet, the same rule as
    M(mlops.gitops.notebook_status). A job that names another team's Application gets an Event that does not name
    it, and the task reports it in RV(refused). Reading the Application needs C(get) on C(applications).
  - Once per completion rests on the job. After the Event, the job gets the annotation
    C(mlops.dev/announced-completion) holding its completion key (uid, phase, completion time), and a job
    carrying its own key gets no Event again, even after the Event expired. The Event name is derived from the
    same key, so concurrent runs never create a second Event, and a re-run of the job gets a new one.
  - A terminal phase without a valid (RFC 3339) C(status.completionTime) is not a completion yet. Nothing is
    recorded and the task reports it as C(deferred).
  - When the image build failed, the failure shown is C(status.buildStatus.message), with a build-specific
    suggested action.
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - mlops.gitops.notebook
  - mlops.gitops.notebook.job_object
  - mlops.gitops.notebook.argocd_namespace
attributes:
  check_mode:
    description: Reports whether the Event would be created and stores nothing (nor the annotation); each write
      is sent as a server-side dry run, so a missing right or an invalid object fails the check as it would fail
      the real run.
    support: full
  diff_mode:
    description: Returns the Event created.
    support: full
requirements:
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Record the completion Event of a notebook
  mlops.gitops.notebook_event:
    name: train-model
    namespace: ml-pipelines
    argocd_namespace: openshift-gitops
"""

RETURN = r"""
created:
  description:
    - Whether this task created the Event (false when it had been recorded before).
    - Always false in check mode, where nothing is created; C(changed) says whether the Event would be.
  returned: success
  type: bool
object:
  description:
    - The NotebookValidationJob after C(mlops.dev/announced-completion) was written (in check mode as the
      server's dry run would leave it).
    - Without what the notebook cells printed unless O(return_cell_outputs=true), as they can be large.
    - Its keys are those of RV(mlops.gitops.notebook_wave#module:object).
  returned: when this task wrote that annotation
  type: dict
event:
  description: The Event for this completion (a core/v1 Event).
  returned: when the job is terminal, has a completion time and was not announced before
  type: complex
  contains:
    metadata:
      description: The Event's C(name) (one per completion), C(namespace) (the job's), C(labels) and, when it
        names the Application, C(annotations) (C(mlops.dev/application), the whole name).
      returned: always
      type: dict
    involvedObject:
      description: The job, by C(apiVersion), C(kind), C(name), C(namespace), C(uid) and C(resourceVersion).
      returned: always
      type: dict
    type:
      description: C(Normal) for a success, C(Warning) for a failure.
      returned: always
      type: str
      sample: Normal
    reason:
      description: C(ValidationSucceeded) or C(ValidationFailed).
      returned: always
      type: str
      sample: ValidationSucceeded
    message:
      description: What completed, and the parent Application when there is one.
      returned: always
      type: str
    reportingComponent:
      description: Who reported the Event.
      returned: always
      type: str
      sample: mlops.dev/mlops-gitops
events:
  description: Names of Events created by this task (none in check mode).
  returned: success
  type: list
  elements: str
diff:
  description: The Event created.
  returned: changed and diff mode
  type: complex
  contains:
    before:
      description: Empty, there was no Event.
      returned: always
      type: dict
    after:
      description: C(event), the Event created.
      returned: always
      type: dict
deferred:
  description:
    - Work put off, when the job is terminal but has no valid C(status.completionTime) yet.
  returned: success
  type: list
  elements: dict
  contains:
    what:
      description: What was put off (the job's completion Event).
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
  description:
    - The parent Application the job names when that Application does not deploy into the job's namespace (the
      Event does not name it). Else empty.
    - Entries as RV(mlops.gitops.notebook_trigger#module:refused).
  returned: success
  type: list
  elements: dict
"""

from ansible_collections.mlops.gitops.plugins.module_utils import notebook_event, module_runner


def execute(module, api):
    name, namespace = module.params["name"], module.params["namespace"]
    job, missing = module_runner.read_job(api, name, namespace)
    if missing:
        return missing
    options = {"argocd_namespace": module.params["argocd_namespace"]}
    return notebook_event.reconcile(api, job, options=options, check_mode=module.check_mode)


def main():
    module = module_runner.build_module(
        module_runner.JOB_SPEC, module_runner.ARGOCD_NAMESPACE_SPEC, module_runner.JOB_OBJECT_SPEC
    )
    module_runner.run(module, execute)


if __name__ == "__main__":
    main()
