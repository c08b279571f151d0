# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Send one reconcile's metrics to ansible-operator's metrics receiver, in the run's own process (no module process
per metric, as operator_sdk.util's osdk_metric forks). The metrics: module_utils/operator_metrics.py.
Documentation: plugins/modules/operator_metrics.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.urls import open_url
from ansible.plugins.action import ActionBase

from ansible_collections.mlops.gitops.plugins.module_utils import operator_metrics

SPEC = {
    "metrics": {"type": "dict", "required": True},
    "url": {"type": "str", "default": operator_metrics.RECEIVER},
    "timeout": {"type": "float", "default": 5.0},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, params = self.validate_argument_spec(argument_spec=SPEC)
        sent, problems = [], []
        if not self._play_context.check_mode:
            for body in operator_metrics.user_metrics(params["metrics"]):
                try:
                    open_url(params["url"], method="POST", data=json.dumps(body),
                             headers={"Content-Type": "application/json"}, timeout=params["timeout"])
                    sent.append(body["name"])
                except Exception as exc:  # a metric that cannot be sent never fails the reconcile
                    problems.append("{0}: {1}".format(body["name"], exc))
        if problems:
            result["warnings"] = ["metrics not sent to ansible-operator at {0}: {1}".format(
                params["url"], "; ".join(problems))]
        result.update(changed=False, sent=sent)
        return result
