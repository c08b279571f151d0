# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the modules that act on one NotebookValidationJob or look up Argo CD Applications, and the
attributes of the action plugins that only report (mlops.gitops.notebook.reporting)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The one NotebookValidationJob a module acts on (mlops.gitops.notebook).
    DOCUMENTATION = r"""
options:
  name:
    description: Name of the NotebookValidationJob.
    type: str
    required: true
  namespace:
    description: Namespace of the NotebookValidationJob.
    type: str
    required: true
"""

    # Where Argo CD Applications live (mlops.gitops.notebook.argocd_namespace).
    ARGOCD_NAMESPACE = r"""
options:
  argocd_namespace:
    description:
      - Namespace of the Argo CD control plane (C(openshift-gitops) on OpenShift GitOps), where an Application
        named by a plain name in a job's tracking id or labels lives; an Application in another namespace is named
        C(<namespace>_<name>), as Argo CD names it.
    type: str
    default: argocd
"""

    # The job a module returns as ``object`` (mlops.gitops.notebook.job_object).
    JOB_OBJECT = r"""
options:
  return_cell_outputs:
    description:
      - Return the NotebookValidationJob in RV(object) with what its notebook cells printed, C(output) of each
        C(status.results) entry and C(actual), C(expected) and C(diff) of each C(status.comparisonResult.diffs)
        entry.
      - By default these are left out, as they can be large; every other field of the job is returned.
    type: bool
    default: false
"""

    # An action plugin that runs in the play's own process and changes nothing in the cluster
    # (mlops.gitops.notebook.reporting); the module adds its own check_mode details.
    REPORTING = r"""
attributes:
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  action:
    description: Indicates this has a corresponding action plugin so some parts of the work run on the controller.
    support: full
    details: Runs on the controller, in the play's own process; no module process is forked.
"""
