# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ADR-048's three metrics, as ansible-operator's metrics receiver takes them.

ansible-operator serves the metrics a run sends to its receiver (``POST http://localhost:5050/metrics`` with a
``UserMetric``: name, description and one of counter, gauge, histogram or summary; internal/ansible/apiserver and
internal/ansible/metrics) on its own ``/metrics``, next to its reconcile metrics. They carry no labels; the
labelled counts come from kube-state-metrics (docs/operator.md, "Labelled metrics").
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

RECEIVER = "http://localhost:5050/metrics"  # hard-coded in ansible-operator (cmd/ansible-operator/run/cmd.go)

VALIDATIONS = ("notebook_validation_total",
               "NotebookValidationJobs that reached a terminal phase (each completion counted once)")
DURATION = ("notebook_validation_duration_seconds",
            "Duration of NotebookValidationJobs from start to completion, in seconds")
TRIGGERS = ("argocd_triggers_total",
            "On-success trigger actions run (restart, rollout, sync, refresh), succeeded or failed")


def user_metrics(metrics):
    """The ``UserMetric`` bodies for one reconcile's ``metrics`` (``notebook_reconcile``'s result): a completion
    counted and its duration observed when this run recorded it, the trigger actions it ran added."""
    metrics = metrics or {}
    out = []
    if metrics.get("completed") is not None:
        out.append({"name": VALIDATIONS[0], "description": VALIDATIONS[1], "counter": {"increment": True}})
        duration = metrics.get("duration_seconds")
        if isinstance(duration, (int, float)) and not isinstance(duration, bool):
            out.append({"name": DURATION[0], "description": DURATION[1], "histogram": {"observe": float(duration)}})
    fired = metrics.get("triggers_fired") or 0
    if isinstance(fired, int) and fired > 0:
        out.append({"name": TRIGGERS[0], "description": TRIGGERS[1], "counter": {"add": float(fired)}})
    return out
