# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One reconcile of a NotebookValidationJob (or of every job in some namespaces) in one task.

Runs on the controller, in-process: one ``KubeApi`` for all steps, no module subprocess per step.
This plugin only validates the options and calls the reconcile, ``module_utils/reconcile.py`` (the steps
as a registry of features, their order, options, metrics and requeue).
Documentation: plugins/modules/notebook_reconcile.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import gc

# The cyclic garbage collector's first threshold (Python's default: 700 allocations), raised before the imports
# below: they load the kubernetes client (its ~900 model classes), and the reconcile builds the job's dicts; with the
# default the collector walks the young objects hundreds of times for cycles that hardly exist. Measured under the
# real ansible-operator (docs/benchmarks.md, benchmark 9): a poll run 1.34 -> 1.17 CPU s, a completion (two runs)
# 2.77 -> 2.48. Ansible loads an action plugin in the worker process it forks for the task, which ends with the
# task; cycles are still collected, only less often.
GC_THRESHOLD = 100000
gc.set_threshold(max(GC_THRESHOLD, gc.get_threshold()[0]), *gc.get_threshold()[1:])

from ansible.plugins.action import ActionBase

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
except ImportError:  # reported when the task runs
    AUTH_ARG_SPEC = {}

from ansible_collections.mlops.gitops.plugins.module_utils import module_runner, reconcile, variables
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

OWN_SPEC = {
    "name": {"type": "str"},
    "namespace": {"type": "str"},
    "definition": {"type": "dict"},
    "namespaces": {"type": "list", "elements": "str"},
}


# How a user sets ``features``: the task's option, or the controller's setting (the role's variable, from the image's
# environment).
FEATURES_SETTING = "features (notebook_controller_features in the controller)"


def argument_spec():
    return module_runner.argument_spec(module_runner.ARGOCD_NAMESPACE_SPEC, OWN_SPEC, reconcile.OPTION_SPEC)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        if not AUTH_ARG_SPEC:
            return dict(result, failed=True, msg="the kubernetes.core collection is required: "
                        "ansible-galaxy collection install kubernetes.core")
        problem = module_runner.kubernetes_problem()
        if problem:
            return dict(result, failed=True, msg=problem)
        spec = argument_spec()
        # Lists also as text (AWX surveys, -e): "a, b" is ["a", "b"], not ["a", " b"]; "" is [].
        self._task.args = variables.with_lists_from_text(spec, self._task.args)
        _validation, params = self.validate_argument_spec(
            argument_spec=spec,
            mutually_exclusive=[("namespaces", "name"), ("namespaces", "definition")],
            required_one_of=[("name", "definition", "namespaces")],
        )
        params, renamed = reconcile.renamed_values(params, {"features": FEATURES_SETTING})
        if renamed:
            result["deprecations"] = [{"msg": msg, "version": module_runner.ALIAS_REMOVED_IN,
                                       "collection_name": module_runner.COLLECTION} for msg in renamed]
        check_mode = bool(self._play_context.check_mode)
        # ansible-operator passes ansible_operator_meta: then the credentials are the controller's.
        who = module_runner.CONTROLLER if "ansible_operator_meta" in (task_vars or {}) else module_runner.USER
        errors = reconcile.option_errors(params)
        if errors:
            return dict(result, failed=True, msg="invalid options, nothing was done: " + "; ".join(errors))
        execute = reconcile.reconcile_namespaces if params.get("namespaces") else reconcile.reconcile_job
        try:
            api = KubeApi.from_auth(dry_run=check_mode, **dict((k, params.get(k)) for k in AUTH_ARG_SPEC))
            outcome = execute(api, params, check_mode, who)
            outcome["requests"] = dict(api.counts)
        except ImportError as exc:
            message = "mlops.gitops is incomplete, a feature module is missing: {0}".format(exc)
            outcome = {"failed": True, "msg": message}
        except Exception as exc:
            outcome = module_runner.failure(exc, who)
            if outcome is None:
                raise
        result.update(module_runner.finish(outcome, self._play_context.diff))
        # No module runs, so no AnsibleModule strips the secrets (api_key, an inline kubeconfig's users): this does.
        return module_runner.redact(result, params)
