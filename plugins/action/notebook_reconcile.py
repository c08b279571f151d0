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


import re

from ansible.plugins.action import ActionBase

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
except ImportError:  # reported when the task runs
    AUTH_ARG_SPEC = {}

from ansible_collections.mlops.gitops.plugins.module_utils import module_runner, nvj, reconcile
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

OWN_SPEC = {
    "name": {"type": "str"},
    "namespace": {"type": "str"},
    "definition": {"type": "dict"},
    "namespaces": {"type": "list", "elements": "str"},
}


def argument_spec():
    return module_runner.argument_spec(module_runner.ARGOCD_NAMESPACE_SPEC, OWN_SPEC, reconcile.OPTION_SPEC)


_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_ANNOTATION_KEY = re.compile(r"([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")


def option_errors(params):
    """Every problem with the options, found before the first request (so nothing is half written)."""
    errors = []
    for key in ("min_interval", "running_requeue", "running_requeue_max", "announced_requeue_max"):
        if params.get(key) is not None and params[key] < 0:
            errors.append("{0} must be an integer >= 0 (seconds), got {1}".format(key, params[key]))
    if params.get("namespaces") is not None and not params["namespaces"]:
        errors.append("namespaces is empty: list the namespaces whose jobs to reconcile ({0!r} for all), or leave "
                      "namespaces out and give name and namespace for one job".format(reconcile.ALL_NAMESPACES))
    for key in ("namespaces", "allowed_namespaces"):
        bad = [n for n in params.get(key) or [] if n != reconcile.ALL_NAMESPACES and not _DNS_LABEL.fullmatch(n or "")]
        if bad:
            errors.append("{0}: {1} not a namespace name (lowercase letters, digits and '-', or {2!r} for all)".format(
                key, ", ".join(repr(n) for n in bad), reconcile.ALL_NAMESPACES))
    if not _DNS_LABEL.fullmatch(params.get("argocd_namespace") or ""):
        errors.append("argocd_namespace must name the Argo CD namespace (e.g. argocd, openshift-gitops), got {0!r}"
                      .format(params.get("argocd_namespace")))
    if not _ANNOTATION_KEY.fullmatch(params.get("trigger_annotation") or ""):
        errors.append("trigger_annotation must be an annotation key such as {0}, got {1!r}".format(
            nvj.ANN_TRIGGER, params.get("trigger_annotation")))
    return errors


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
        _validation, params = self.validate_argument_spec(
            argument_spec=argument_spec(),
            mutually_exclusive=[("namespaces", "name"), ("namespaces", "definition")],
            required_one_of=[("name", "definition", "namespaces")],
        )
        check_mode = bool(self._play_context.check_mode)
        # ansible-operator passes ansible_operator_meta: then the credentials are the controller's.
        who = module_runner.CONTROLLER if "ansible_operator_meta" in (task_vars or {}) else module_runner.USER
        errors = option_errors(params)
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
