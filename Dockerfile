# The NotebookValidationJob controller: ansible-operator running the mlops.gitops.notebook_controller role.
# Build and push from the repository root (docs/operator.md, "Build the image"):
#   docker build -t <registry>/mlops-gitops-controller:0.1.0 . && docker push <registry>/mlops-gitops-controller:0.1.0
# The base is the ansible-operator release the tests build from source (tools/gobuild/operator/go.mod) and
# whose Python pins they install (tests/operator/requirements-image.txt): ansible-core 2.18, ansible-runner
# 2.4, kubernetes 33.1.0 and the runner's http event plugin. requirements.yml adds kubernetes.core (the
# version the tests run); the requeue and the metrics are the collection's own (no other collection).
FROM quay.io/operator-framework/ansible-operator:v1.42.2 AS build
COPY --chown=1001:0 . /tmp/src
RUN ansible-galaxy collection build /tmp/src --output-path /tmp/dist

FROM quay.io/operator-framework/ansible-operator:v1.42.2
COPY --from=build /tmp/dist/ /tmp/dist/
COPY requirements.yml ${HOME}/requirements.yml
RUN ansible-galaxy collection install -r ${HOME}/requirements.yml \
 && ansible-galaxy collection install /tmp/dist/mlops-gitops-*.tar.gz \
 && chmod -R ug+rwx ${HOME}/.ansible
COPY watches.yaml ${HOME}/watches.yaml

# Defaults for watches.yaml's ${VARS}; the Deployment (roles/notebook_controller_deploy) sets them.
ENV NOTEBOOK_CONTROLLER_RECONCILE_PERIOD=10m \
    NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE=argocd \
    NOTEBOOK_CONTROLLER_ALLOWED_NAMESPACES=[] \
    NOTEBOOK_CONTROLLER_TRIGGER_ANNOTATION=mlops.dev/on-success-trigger \
    NOTEBOOK_CONTROLLER_MIN_INTERVAL=60 \
    NOTEBOOK_CONTROLLER_FEATURES=[waves,events,triggers,status] \
    NOTEBOOK_CONTROLLER_RUNNING_REQUEUE=10 \
    NOTEBOOK_CONTROLLER_RUNNING_REQUEUE_MAX=10 \
    NOTEBOOK_CONTROLLER_ANNOUNCED_REQUEUE_MAX=60 \
    NOTEBOOK_CONTROLLER_POLL_STATE=/tmp/ansible-operator/mlops-gitops-polls.json \
    NOTEBOOK_CONTROLLER_API=in-cluster \
    NOTEBOOK_CONTROLLER_METRICS=true \
    ANSIBLE_GATHERING=explicit
