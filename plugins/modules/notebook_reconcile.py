#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/notebook_reconcile.py, which does the work
# on the controller (one API client for all steps, no module process per step).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: notebook_reconcile
short_description: Reconcile a NotebookValidationJob completely in one step
version_added: 0.1.0
description:
  - Runs every feature of this collection for one NotebookValidationJob, in this order, C(wave) (sync-wave
    markers), C(event) (one completion Event), C(trigger) (on-success triggers, once per successful completion),
    C(status) (the aggregate on the parent Argo CD Application); each step is named after its module
    (M(mlops.gitops.notebook_wave), ...) without C(notebook_). Each step gets the job as the previous step
    left it.
  - Every option is checked before the first request; an invalid one (for example a negative I(min_interval))
    fails the task and nothing is written.
  - The job is always read fresh from the API; a I(definition) only names it (ansible-operator passes a cached
    copy that can be stale). A job that no longer exists is not an error, there is nothing to do.
  - One step failing with an API error does not stop the others; the task fails at the end and its message
    names every failed step. Invalid trigger annotations and refused targets fail the step too (they are also
    recorded as Warning Events on the job).
  - A second run on an unchanged job sends no write to the cluster.
  - With I(namespaces), reconciles every job in those namespaces once (listed page by page) and aggregates each
    Application once at the end instead of once per job; for schedules (AWX, CronJob). A namespace that holds no
    job (or does not exist) is named in a warning, so a misspelt namespace does not pass silently.
  - This is the task the C(mlops.gitops.notebook_controller) role (the ansible-operator controller) runs.
  - This is an action plugin; it runs on the controller host, whatever the target host of the play is.
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - mlops.gitops.notebook.argocd_namespace
options:
  name:
    description: Name of the NotebookValidationJob. Required unless I(definition) or I(namespaces) is given.
    type: str
  namespace:
    description: Namespace of the NotebookValidationJob. Required with I(name).
    type: str
  definition:
    description:
      - The NotebookValidationJob as a dict (for example the C(_mlops_mlops_dev_notebookvalidationjob) variable
        ansible-operator passes); only its C(metadata.name) and C(metadata.namespace) are used.
    type: dict
  namespaces:
    description:
      - Reconcile every NotebookValidationJob in these namespaces instead of one job. C(*) means all namespaces.
      - Mutually exclusive with I(name) and I(definition).
    type: list
    elements: str
  features:
    description:
      - The steps to run. They always run in the order C(wave), C(event), C(trigger), C(status).
      - The former names C(waves), C(events) and C(triggers) are deprecated and will be removed in version 2.0.0;
        until then they are read as C(wave), C(event) and C(trigger), with a deprecation warning.
    type: list
    elements: str
    choices: [wave, event, trigger, status, waves, events, triggers]
    default: [wave, event, trigger, status]
  allowed_namespaces:
    description:
      - Namespaces other than the job's own that on-success triggers may act on (C(*) for any). Empty means a
        job may only restart or refresh objects in its own namespace (and sync its own parent Application).
    type: list
    elements: str
    default: []
  trigger_annotation:
    description:
      - The annotation that holds the trigger list. Use a key of your own (for example
        C(gitops.mlops.dev/on-success-trigger)) when the Go operator, which also reads
        C(mlops.dev/on-success-trigger), runs in the same cluster, so one trigger never fires twice.
    type: str
    default: mlops.dev/on-success-trigger
  min_interval:
    description:
      - Seconds between two writes of the aggregate on one Application (debounce); the feature's default when
        not set. A write put off this way is reported in I(deferred) and the final state is written later.
    type: int
  running_requeue:
    description:
      - Seconds after which a job that is not finished yet should be reconciled again, at first; C(0) (the
        default) asks for no such poll. Only with one job (not with I(namespaces)).
      - The wait grows with the time the job has been running (from C(status.startTime)) to a fifth of it,
        so a long validation is looked at less often, and never beyond I(running_requeue_max).
      - It is part of I(requeue_after), which the C(mlops.gitops.notebook_controller) role hands to
        ansible-operator. ansible-operator never wakes on a status change, so this poll is how a completion
        is noticed.
    type: int
    default: 0
  running_requeue_max:
    description:
      - The longest wait, in seconds, of the I(running_requeue) poll; not set or C(0) means no limit.
      - A completion the poll finds is noticed within about this plus one run.
    type: int
  announced_requeue_max:
    description:
      - The longest wait, in seconds, of the I(running_requeue) poll for a job with a sync wave
        (C(argocd.argoproj.io/sync-wave)); not set means I(running_requeue_max), C(0) no limit.
      - The Go operator (v1.0.4 and later) follows the terminal status write of such a job with its own wave
        annotations (C(mlops.dev/wave-complete) or C(mlops.dev/wave-failed)). That write wakes ansible-operator
        at once, so the completion is acted on without waiting for the poll, and a longer wait here costs
        fewer runs. The poll is then the backstop, for a wave write that failed or a Go operator that does not
        make it.
    type: int
  poll_state:
    description:
      - A file where each run records, per job (by uid), when the running poll it asked for is due; under
        ansible-operator it keeps one poll chain per job. A run that starts before that time (an annotation or
        spec change woke it while the requeue was armed) asks for the armed instant, which the work queue
        merges, or only for a backstop 30 s after the next poll when the armed one fires before the run returns
        (its run, which follows, asks sooner). Without it, such a wake-up
        can leave two interleaved requeue chains.
      - Not set (the default), every run asks for its full poll. Only with one job (not with I(namespaces)).
      - The C(mlops.gitops.notebook_controller) role sets it from C(NOTEBOOK_CONTROLLER_POLL_STATE).
    type: path
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Every step reports what it would change and sends its writes as server-side dry runs; nothing is
      stored, and a missing right fails the check as it would fail the real run.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: One before/after entry per step that changed something.
  action:
    description: Indicates this has a corresponding action plugin so some parts of the work run on the controller.
    support: full
    details: Runs on the controller, in-process, with one API client for all steps.
requirements:
  - kubernetes >= 24.2.0
notes:
  - C(requeue_after) in the result is the smallest C(retry_after) of all deferred work (and the
    I(running_requeue) poll of an unfinished job); the C(mlops.gitops.notebook_controller) role hands it to
    ansible-operator so the job is reconciled again then.
  - The steps, their order, the options each takes and what each reports (metrics, deferred work) are one
    registry, C(plugins/module_utils/reconcile.py).
  - See C(docs/operator.md) for the ansible-operator image, the RBAC each step needs and running next to the
    Go operator.
seealso:
  - module: mlops.gitops.notebook_trigger
  - module: mlops.gitops.notebook_wave
  - module: mlops.gitops.notebook_event
  - module: mlops.gitops.notebook_status
"""

EXAMPLES = r"""
- name: Reconcile one job
  mlops.gitops.notebook_reconcile:
    name: predictive-analytics-kserve-validation
    namespace: self-healing-platform
    argocd_namespace: openshift-gitops

- name: Reconcile the job ansible-operator passes (inside the controller role)
  mlops.gitops.notebook_reconcile:
    definition: "{{ _mlops_mlops_dev_notebookvalidationjob }}"
    trigger_annotation: gitops.mlops.dev/on-success-trigger
  register: reconcile

- name: Reconcile every job of two namespaces once (AWX schedule)
  mlops.gitops.notebook_reconcile:
    namespaces: [ml-pipelines, self-healing-platform]
    allowed_namespaces: [serving]

- name: Only the markers and the Event, showing what would change
  mlops.gitops.notebook_reconcile:
    name: train-model
    namespace: ml-pipelines
    features: [wave, event]
  check_mode: true
  diff: true
"""

RETURN = r"""
changed:
  description: Whether any step changed something.
  returned: always
  type: bool
name:
  description: The job reconciled.
  returned: one job, when it exists
  type: str
namespace:
  description: The job's namespace.
  returned: one job, when it exists
  type: str
phase:
  description: The job's phase after the reconcile (null before the Go operator wrote a status).
  returned: one job, when it exists
  type: str
  sample: Succeeded
deleted:
  description: True when the job no longer exists (nothing was done).
  returned: one job, when it is gone
  type: bool
steps:
  description:
    - The result of each step that ran, keyed by the step's name (C(wave), C(event), C(trigger), C(status)),
      without the job body. Each is the result of the step's module (M(mlops.gitops.notebook_wave),
      M(mlops.gitops.notebook_event), M(mlops.gitops.notebook_trigger), M(mlops.gitops.notebook_status)).
    - Every step's result has the keys listed below up to C(diff); each key after it only the step its
      C(returned) names.
  returned: one job
  type: complex
  contains:
    changed:
      description: Whether the step changed something.
      returned: always
      type: bool
    failed:
      description: True when the step failed; the task then fails too, naming every failed step in RV(msg).
      returned: when it failed
      type: bool
    msg:
      description: Why the step failed.
      returned: when it failed
      type: str
    deferred:
      description: Work the step put off (also in the top-level RV(deferred)).
      returned: success
      type: list
      elements: dict
    refused:
      description: What the step refused (also in the top-level RV(refused)).
      returned: success
      type: list
      elements: dict
    events:
      description: Names of the Events the step created (also in the top-level RV(events)).
      returned: success
      type: list
      elements: str
    diff:
      description: The step's before and after, as its module returns it.
      returned: changed and diff mode
      type: dict
    wave:
      description: The job's sync wave.
      returned: C(wave), success
      type: str
    markers:
      description: The wave marker annotations on the job after the step.
      returned: C(wave), success
      type: dict
    created:
      description: Whether the step created the completion Event.
      returned: C(event), success
      type: bool
    key:
      description: The completion key the triggers fire for.
      returned: C(trigger), success
      type: str
    fired:
      description:
        - One entry per target acted on, as RV(mlops.gitops.notebook_trigger#module:fired) of
          M(mlops.gitops.notebook_trigger).
      returned: C(trigger), success
      type: list
      elements: dict
    applications:
      description:
        - The parent Application considered, as RV(mlops.gitops.notebook_status#module:applications) of
          M(mlops.gitops.notebook_status).
      returned: C(status), success
      type: list
      elements: dict
jobs:
  description: One entry per job.
  returned: with namespaces
  type: list
  elements: dict
  contains:
    namespace:
      description: The job's namespace.
      returned: always
      type: str
    name:
      description: The job's name.
      returned: always
      type: str
    changed:
      description: Whether any step changed something for this job.
      returned: always
      type: bool
    steps:
      description: The per-step results (as RV(steps)).
      returned: when the job changed or a step failed
      type: dict
status:
  description: The result of aggregating every Application once (the M(mlops.gitops.notebook_status) module's result).
  returned: with namespaces
  type: complex
  contains:
    changed:
      description: Whether an Application was written.
      returned: always
      type: bool
    applications:
      description:
        - One entry per Application considered, as RV(mlops.gitops.notebook_status#module:applications) of
          M(mlops.gitops.notebook_status).
      returned: success
      type: list
      elements: dict
    deferred:
      description: Writes put off (in RV(deferred) too).
      returned: success
      type: list
      elements: dict
deferred:
  description: Work put off by any step; the controller reconciles again after RV(requeue_after).
  returned: always
  type: list
  elements: dict
  contains:
    what:
      description: What was put off (named by the step).
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
    - What a step refused to act on. Trigger targets refused by policy (C(trigger); the step fails then), a
      parent Application that does not deploy into the job's namespace (C(status), its status is left alone;
      C(event), the completion Event does not name it).
  returned: always
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
  description: Names of the Events created.
  returned: always
  type: list
  elements: str
requeue_after:
  description:
    - Seconds after which the job should be reconciled again, the smallest C(retry_after) of RV(deferred) and,
      for a job that is not finished, the O(running_requeue) poll.
  returned: when something was deferred, or the job is not finished and O(running_requeue) is set
  type: int
  sample: 30
metrics:
  description: What this reconcile counts for the controller's metrics.
  returned: one job, when it exists
  type: complex
  contains:
    completed:
      description: The terminal phase when this run recorded the completion for the first time, else null.
      returned: always
      type: str
      sample: Succeeded
    duration_seconds:
      description: How long the validation ran, when C(completed) is set.
      returned: always
      type: int
    triggers_fired:
      description: Triggers that fired in this run (succeeded or failed).
      returned: always
      type: int
    triggers_failed:
      description: Triggers that failed in this run.
      returned: always
      type: int
requests:
  description: API requests this task made, by verb (C(get), C(list), C(create), C(patch), C(delete)).
  returned: success
  type: dict
  sample: {"get": 2, "list": 1}
diff:
  description: One before/after entry per step that changed something.
  returned: changed and diff mode
  type: list
  elements: dict
  contains:
    before:
      description: The step's state before.
      returned: always
      type: dict
    after:
      description: The step's state after.
      returned: always
      type: dict
    before_header:
      description: The job (or C(applications)) and the step, as C(--diff) titles it.
      returned: always
      type: str
      sample: NotebookValidationJob ml-pipelines/train wave (before)
    after_header:
      description: The same for the state after.
      returned: always
      type: str
msg:
  description: Why the task failed (every failed step), or why there was nothing to do.
  returned: failure or deleted job
  type: str
"""
