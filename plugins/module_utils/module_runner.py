# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of this collection shares: kubernetes.core's auth options and module class (secrets
redacted, the ``kubernetes`` library checked), the API client, turning API errors into a failed task that
names the object and the fix, and kubernetes.core's conventions for what a task returns."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import functools
import sys

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import gather_versions, has_at_least
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
from ansible_collections.mlops.gitops.plugins.module_utils import argo_app, nvj, variables
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi, KubeError
from ansible_collections.mlops.gitops.plugins.module_utils.names import describe

# The oldest kubernetes Python library the collection supports (requirements.txt, each module's requirements).
MIN_KUBERNETES = "24.2.0"

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
ARGOCD_NAMESPACE_SPEC = {"argocd_namespace": {"type": "str", "default": argo_app.DEFAULT_ARGOCD_NAMESPACE}}
# Where an option had another name before: the old name stays an alias until this version.
ALIAS_REMOVED_IN = "2.0.0"
COLLECTION = "mlops.gitops"


def renamed(spec, old):
    """``spec`` (an option's spec) that also accepts its former name ``old``, with a deprecation warning."""
    return dict(spec, aliases=[old], deprecated_aliases=[
        {"name": old, "version": ALIAS_REMOVED_IN, "collection_name": COLLECTION}])


def renamed_value(module, option, renames, also=None):
    """The value of ``option`` with a former spelling (``renames``: old -> new) read as its new one, with a
    deprecation warning naming the option (and ``also``, how else a user sets it, such as a role's variable)."""
    variable = "{0} ({1})".format(option, also) if also else option
    value, warning = variables.renamed_value(variable, module.params[option], renames)
    if warning:
        module.deprecate(warning, version=ALIAS_REMOVED_IN, collection_name=COLLECTION)
    return value


# argocd_health_check and argocd_notifications called argocd_namespace ``namespace``: a deprecated alias there.
ARGOCD_NAMESPACE_WITH_ALIAS_SPEC = {"argocd_namespace": renamed(ARGOCD_NAMESPACE_SPEC["argocd_namespace"], "namespace")}
# Documented by mlops.gitops.notebook.job_object: modules that return the job as ``object``.
JOB_OBJECT_SPEC = {"return_cell_outputs": {"type": "bool", "default": False}}


def argument_spec(*own):
    """kubernetes.core's auth options plus the module's own (several dicts are merged in order)."""
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    for part in own:
        spec.update(copy.deepcopy(part))
    return spec


def kubernetes_problem():
    """None when a supported ``kubernetes`` Python library is installed, else what is wrong and the fix.

    Versions are read and compared the way kubernetes.core does (its ``gather_versions``/``has_at_least``);
    unlike its warning, a library older than MIN_KUBERNETES is an error here."""
    installed = gather_versions().get("kubernetes")
    if installed is None:
        return missing_required_lib("kubernetes>={0}".format(MIN_KUBERNETES))
    if not has_at_least("kubernetes", MIN_KUBERNETES):
        return (
            "the kubernetes Python library {0} of {1} is too old: mlops.gitops needs kubernetes >= {2}; "
            "upgrade it, for example pip install 'kubernetes>={2}'".format(installed, sys.executable, MIN_KUBERNETES)
        )
    return None


def build_module(*own_specs, **kwargs):
    """An AnsibleModule over kubernetes.core's auth options plus the module's own (``KubeApi.from_module`` passes
    the auth options to kubernetes.core's client as keywords, so no kubernetes.core module class is needed); the
    auth options' no_log (kubeconfig, api_key, password, proxy credentials) keeps them out of the result."""
    module = AnsibleModule(argument_spec=argument_spec(*own_specs), supports_check_mode=True, **kwargs)
    problem = kubernetes_problem()
    if problem:
        module.fail_json(msg=problem)
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


def finish(result, diff_mode, cell_outputs=False):
    """What a task returns, as kubernetes.core returns it: ``diff`` only in diff mode, and the job ``object``
    without its notebook cell outputs unless ``cell_outputs``; the same for nested step results (``steps``,
    ``jobs[].steps``, ``status`` of the reconcile). Changes ``result`` in place and returns it."""
    if not diff_mode:
        result.pop("diff", None)
    if result.get("object") and not cell_outputs:
        result["object"] = nvj.without_cell_outputs(result["object"])
    nested = list((result.get("steps") or {}).values())
    nested += [job for job in result.get("jobs") or [] if isinstance(job, dict)]
    if isinstance(result.get("status"), dict):
        nested.append(result["status"])
    for part in nested:
        finish(part, diff_mode, cell_outputs)
    return result


# What Ansible shows in place of a no_log value.
NO_LOG_PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def _strings(value):
    """Every leaf of ``value`` as Ansible lists a no_log option's values (None, "" and booleans are none)."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_strings(item) for item in value))
    return set() if value in (None, "") or isinstance(value, bool) else {str(value)}


def secret_values(params):
    """The values a result must never show: the no_log auth options' (api_key, password, proxy credentials)
    and, of an inline kubeconfig (a dict), each user's credentials (``users[].user``: tokens, keys, passwords,
    auth-provider and exec settings).

    Not the rest of an inline kubeconfig: kubernetes.core's no_log on the whole of it makes Ansible mask each
    of its values wherever it appears in the result, so ``v1`` (its apiVersion) and ``default`` (a namespace)
    turned every ``mlops.mlops.dev/v1alpha1`` and ``default`` of a result into asterisks."""
    secrets = set()
    for key, spec in AUTH_ARG_SPEC.items():
        if key == "kubeconfig":
            inline = params.get(key)
            if isinstance(inline, dict):
                for user in inline.get("users") or []:
                    secrets |= _strings(user.get("user") if isinstance(user, dict) else user)
        elif spec.get("no_log"):
            secrets |= _strings(params.get(key))
        for sub_key, sub_spec in (spec.get("options") or {}).items():
            if sub_spec.get("no_log"):
                secrets |= _strings((params.get(key) or {}).get(sub_key))
    return secrets


def redact(result, params):
    """``result`` without the secrets of ``params`` (secret_values); for the action plugin, which returns
    without an AnsibleModule to do it."""
    secrets = secret_values(params)
    return remove_values(result, secrets) if secrets else result


def _redact_like_kubernetes_core(module, result):
    """An inline kubeconfig is shown as a no_log value in ``invocation`` (as kubernetes.core shows it), and
    only the secrets among its values are masked in the rest of the result (see secret_values)."""
    inline = module.params.get("kubeconfig")
    if isinstance(inline, dict):
        result["invocation"] = {"module_args": dict(module.params, kubeconfig=NO_LOG_PLACEHOLDER)}
        others = _strings(inline) - secret_values(module.params)
        module.no_log_values.difference_update(others)


def _kubeconfig_errors():
    """The exception classes of a kubeconfig that cannot be used: kubernetes.core's, and the kubernetes client's
    (its config loader), when the client is installed (``kubernetes_problem`` reports it when it is not)."""
    try:
        from kubernetes.config.config_exception import ConfigException
    except ImportError:
        return (CoreException,)
    return (CoreException, ConfigException)


KUBECONFIG_ERRORS = _kubeconfig_errors()


def failure(exc, who=USER):
    """The failed result for an error of the API layer (an API error, or a kubeconfig that cannot be used),
    or None when ``exc`` is something else (a bug: let it raise)."""
    if isinstance(exc, KubeError):
        return {"failed": True, "msg": error_message(exc, who), "status": exc.status, "reason": exc.reason}
    if isinstance(exc, KUBECONFIG_ERRORS):  # a kubeconfig that cannot be used (kubernetes.core, the client)
        return {"failed": True, "msg": "Could not connect to the Kubernetes API: {0}".format(exc)}
    return None


def run(module, execute, connect_later=False):
    """Build the client, call ``execute(module, api) -> result dict``, exit or fail with a clear message.
    ``connect_later``: ``execute`` gets a function that builds the client instead, to validate its options before
    the first request or to wait for an API server that does not answer yet."""
    try:
        connect = functools.partial(KubeApi.from_module, module)
        result = execute(module, connect if connect_later else connect())
    except Exception as exc:
        result = failure(exc)
        if result is None:
            raise
    finish(result, module._diff, module.params.get("return_cell_outputs", False))
    _redact_like_kubernetes_core(module, result)
    if result.get("failed"):
        module.fail_json(**result)
    module.exit_json(**result)
