#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: notebook_wave
short_description: Keep the sync-wave markers of a NotebookValidationJob in line with its phase
version_added: 0.1.0
description:
  - On C(Succeeded) writes C(mlops.dev/wave-complete) (the job's sync wave) and C(mlops.dev/completion-time);
    on C(Failed) writes C(mlops.dev/wave-failed) and C(mlops.dev/failure-time). The opposite pair is removed.
  - Any other phase means the job runs again, so all four markers are removed and nothing waits on a stale marker.
  - The wave is read as Argo CD reads it, C(argocd.argoproj.io/sync-wave) as an integer, else
    C(helm.sh/hook-weight), else C(0). A job without the annotation is therefore marked with wave C(0).
  - The timestamp is the job's C(status.completionTime), so repeated runs send nothing once the markers are right.
  - A terminal phase without a valid (RFC 3339) C(status.completionTime) is not marked yet and is reported as
    C(deferred); the Go operator writes C(Failed) first without it when an image build fails.
  - One JSON merge patch guarded by C(metadata.resourceVersion); on a conflict the job is read again.
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - mlops.gitops.notebook
  - mlops.gitops.notebook.job_object
attributes:
  check_mode:
    description: Reports the marker changes and stores nothing; each write is sent as a server-side dry run, so a
      missing right or an invalid object fails the check as it would fail the real run.
    support: full
  diff_mode:
    description: Returns the marker annotations before and after.
    support: full
requirements:
  - kubernetes >= 24.2.0
notes:
  - See C(docs/sync-waves.md) for how the markers, the health check and the wait work together.
"""

EXAMPLES = r"""
- name: Mark the wave of a finished notebook
  mlops.gitops.notebook_wave:
    name: train-model
    namespace: ml-pipelines

- name: Show what would change
  mlops.gitops.notebook_wave:
    name: train-model
    namespace: ml-pipelines
  check_mode: true
  diff: true
"""

RETURN = r"""
wave:
  description: The job's sync wave as Argo CD computes it (null when the job is gone).
  returned: success
  type: str
  sample: "3"
markers:
  description: The marker annotations on the job after this task (annotation key to value).
  returned: success
  type: dict
  sample: {"mlops.dev/wave-complete": "3", "mlops.dev/completion-time": "2026-01-24T22:30:00Z"}
object:
  description:
    - The NotebookValidationJob after the patch (only when one was sent; in check mode as the server's dry run
      would leave it).
    - Without what the notebook cells printed unless O(return_cell_outputs=true), as they can be large.
  returned: changed
  type: complex
  contains:
    apiVersion:
      description: The job's API version.
      returned: always
      type: str
      sample: mlops.mlops.dev/v1alpha1
    kind:
      description: The job's kind.
      returned: always
      type: str
      sample: NotebookValidationJob
    metadata:
      description: The job's metadata, with the marker annotations this task wrote.
      returned: always
      type: dict
    spec:
      description: The job's spec.
      returned: always
      type: dict
    status:
      description: The Go operator's status of the job.
      returned: when the operator has written one
      type: complex
      contains:
        phase:
          description: The job's phase.
          returned: always
          type: str
          sample: Succeeded
        completionTime:
          description: When the validation completed (RFC 3339).
          returned: when the job is finished
          type: str
          sample: "2026-01-24T22:30:00Z"
        results:
          description: One entry per executed notebook cell.
          returned: when the validation ran
          type: list
          elements: dict
          contains:
            cellIndex:
              description: The cell's zero-based index.
              returned: always
              type: int
            status:
              description: C(Success), C(Failure) or C(Skipped).
              returned: always
              type: str
            errorMessage:
              description: The error of a failed cell.
              returned: when the cell failed
              type: str
            executionTime:
              description: How long the cell ran.
              returned: when the operator recorded it
              type: str
            output:
              description: What the cell printed (stdout and stderr, truncated by the operator).
              returned: with O(return_cell_outputs=true)
              type: str
        comparisonResult:
          description: The comparison against the golden notebook.
          returned: when the job compares against a golden notebook
          type: complex
          contains:
            result:
              description: C(matched), C(failed) or C(skipped).
              returned: always
              type: str
            matchedCells:
              description: How many cells matched.
              returned: always
              type: int
            mismatchedCells:
              description: How many cells did not match.
              returned: always
              type: int
            diffs:
              description: One entry per mismatched cell.
              returned: when cells did not match
              type: list
              elements: dict
              contains:
                cellIndex:
                  description: The cell's zero-based index.
                  returned: always
                  type: int
                diffType:
                  description: C(output_mismatch), C(execution_error), C(missing_cell) or C(extra_cell).
                  returned: always
                  type: str
                severity:
                  description: C(minor), C(major) or C(critical).
                  returned: always
                  type: str
                actual:
                  description: What the executed cell printed.
                  returned: with O(return_cell_outputs=true)
                  type: str
                expected:
                  description: What the golden notebook's cell printed.
                  returned: with O(return_cell_outputs=true)
                  type: str
                diff:
                  description: The unified diff of the two.
                  returned: with O(return_cell_outputs=true)
                  type: str
diff:
  description: The marker annotations before and after.
  returned: changed and diff mode
  type: complex
  contains:
    before:
      description: C(annotations), the marker annotations before this task.
      returned: always
      type: dict
      sample: {"annotations": {}}
    after:
      description: C(annotations), the marker annotations after it.
      returned: always
      type: dict
      sample: {"annotations": {"mlops.dev/wave-complete": "3", "mlops.dev/completion-time": "2026-01-24T22:30:00Z"}}
deferred:
  description:
    - Work put off. Repeated write conflicts, or a terminal phase without a valid C(status.completionTime) (not
      marked until the operator writes one).
  returned: success
  type: list
  elements: dict
  contains:
    what:
      description: What was put off (the job's markers).
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
    - Always empty for this module; present so that every step of M(mlops.gitops.notebook_reconcile) returns the
      same keys (entries as RV(mlops.gitops.notebook_trigger#module:refused)).
  returned: success
  type: list
  elements: dict
events:
  description:
    - Names of Events created by this task. A C(Warning) Event with reason C(InvalidStatusTime) when a status
      time is set but is not RFC 3339 (it is treated as missing), once per value.
  returned: success
  type: list
  elements: str
"""

from ansible_collections.mlops.gitops.plugins.module_utils import module_runner, notebook_wave


def execute(module, api):
    name, namespace = module.params["name"], module.params["namespace"]
    job, missing = module_runner.read_job(api, name, namespace)
    if missing:
        return missing
    return notebook_wave.reconcile(api, job, check_mode=module.check_mode)


def main():
    module = module_runner.build_module(module_runner.JOB_SPEC, module_runner.JOB_OBJECT_SPEC)
    module_runner.run(module, execute)


if __name__ == "__main__":
    main()
