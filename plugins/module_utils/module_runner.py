# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of this collection shares: kubernetes.core's auth options, the API client,
and turning API errors into a failed task that names the object and the fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import kubernetes  # noqa: F401 pylint: disable=unused-import

    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
except ImportError:
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi, KubeError, describe

# Who a 403 hint addresses: whoever's credentials the task ran with.
USER = "the account of your kubeconfig or K8S_AUTH_* credentials"
CONTROLLER = "the controller's ServiceAccount (its ClusterRole: docs/operator.md)"

FIX_BY_STATUS = {
    401: "check the credentials in your kubeconfig or K8S_AUTH_* variables",
    404: "check the name and namespace, and that the CRD is installed",
    409: "another writer changed the object; run again",
    None: "check that the API server is reachable (kubeconfig, K8S_AUTH_HOST)",
}


# The options documented by the doc fragments mlops.gitops.notebook and mlops.gitops.notebook.argocd_namespace.
JOB_SPEC = {"name": {"type": "str", "required": True}, "namespace": {"type": "str", "required": True}}
ARGOCD_NAMESPACE_SPEC = {"argocd_namespace": {"type": "str", "default": "argocd"}}


def argument_spec(*own):
    """kubernetes.core's auth options plus the module's own (several dicts are merged in order)."""
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    for part in own:
        spec.update(copy.deepcopy(part))
    return spec


def build_module(*own_specs, **kwargs):
    module = AnsibleModule(argument_spec=argument_spec(*own_specs), supports_check_mode=True, **kwargs)
    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    return module


def read_job(api, name, namespace):
    """The NotebookValidationJob, or ``(None, failed result)`` naming it when it does not exist."""
    job = api.get(nvj.API_VERSION, nvj.KIND, name, namespace)
    if job is None:
        target = describe(nvj.KIND, name, namespace)
        return None, {"failed": True, "msg": "{0} not found; check name and namespace".format(target)}
    return job, None


def forbidden_fix(exc, who=USER):
    """A 403 hint for this very request: the verb and object it was refused, and whose rights to extend."""
    if exc.verb and exc.target:
        return "{0} may not {1} {2}: grant it that right".format(who, exc.verb, exc.target)
    return "{0} lacks the right for this request: grant it".format(who)


def error_message(exc, who=USER):
    """The API error with the fix; ``who`` is whose credentials the task ran with (USER or CONTROLLER)."""
    fix = forbidden_fix(exc, who) if exc.status == 403 else FIX_BY_STATUS.get(exc.status)
    return "{0}{1}".format(exc, "; " + fix if fix else "")


def failure(exc, who=USER):
    """The failed result for an error of the API layer (an API error, or a kubeconfig that cannot be used),
    or None when ``exc`` is something else (a bug: let it raise)."""
    if isinstance(exc, KubeError):
        return {"failed": True, "msg": error_message(exc, who), "status": exc.status, "reason": exc.reason}
    if exc.__class__.__name__ in ("CoreException", "ConfigException"):  # kubeconfig errors from kubernetes.core
        return {"failed": True, "msg": "Could not connect to the Kubernetes API: {0}".format(exc)}
    return None


def run(module, execute):
    """Build the client, call ``execute(module, api) -> result dict``, exit or fail with a clear message."""
    try:
        api = KubeApi.from_module(module)
        result = execute(module, api)
    except Exception as exc:
        failed = failure(exc)
        if failed is None:
            raise
        module.fail_json(**failed)
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)
