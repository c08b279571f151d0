"""Write a NotebookValidationJob's .status through the status subresource, as the Go operator does
(kubernetes.core has no module for subresources). Terminal phases complete "now", so that the
predictor pods created before count as serving the old model.

usage: set_job_status.py KUBECONFIG NAMESPACE NAME PHASE
"""

import datetime
import json
import sys

from kubernetes import config, dynamic


def status_for(phase, now):
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    status = {"phase": phase, "startTime": stamp, "retryCount": 0,
              "message": f"Notebook validation {phase.lower()}",
              "validationPodName": None, "completionTime": None}
    if phase in ("Succeeded", "Failed"):
        status["completionTime"] = stamp
    if phase == "ValidationRunning":
        status["validationPodName"] = "validation-pod"
    return status


def main(kubeconfig, namespace, name, phase):
    client = dynamic.DynamicClient(config.new_client_from_config(config_file=kubeconfig))
    resource = client.resources.get(api_version="mlops.mlops.dev/v1alpha1", kind="NotebookValidationJob")
    body = {"status": status_for(phase, datetime.datetime.now(datetime.UTC))}
    client.request("PATCH", resource.path(name=name, namespace=namespace) + "/status", body=body,
                   content_type="application/merge-patch+json")
    print(json.dumps(body))


if __name__ == "__main__":
    main(*sys.argv[1:5])
