# The README's two commands are `make demo` and `make test`; every other target is a step of them.
# Nothing needs to be installed by hand: the first run builds .venv from requirements-dev.lock (`make lock`).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
BUILD ?= $(CURDIR)/.build
COLLECTIONS := $(BUILD)/collections
COLLECTION_DIR := $(COLLECTIONS)/ansible_collections/mlops/gitops
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(COLLECTIONS):$(CURDIR)
export ANSIBLE_NOCOWS := 1
export ANSIBLE_LOCAL_TEMP := $(BUILD)/ansible-tmp
export PATH := $(BIN):$(PATH)
# Go: this machine's own (1.26) for every module but Argo CD's: v3.6 asks for Go 1.27, and tools/gobuild/build.sh
# runs its build with GOTOOLCHAIN=go1.27.3, which the go command fetches from the Go module proxy the first time
# (about 76 MB). Not for all: etcd's grpc does not compile with Go 1.27. The README and .ci/run say so too.

GOBUILD := $(CURDIR)/tools/gobuild/build.sh
CLUSTER_DIR := $(CURDIR)/.build/cluster

.PHONY: bench-aggregation bench-argocd demo test run venv lock collection control-plane cluster-up cluster-down lint unit integration check sanity molecule bench bench-floor bench-operator bench-faults clean

demo: collection control-plane operator-runtime  ## run the end-to-end demo on a local control plane (or $KUBECONFIG)
	$(BIN)/python tools/demo.py

# every test: lint and docs lint; Argo CD's engines (Go); unit, integration (real control plane), operator
# (real ansible-operator) and packaging tests; Galaxy's import check; the docsite; sanity; molecule
test: collection control-plane operator-runtime kustomize kube-state-metrics
	$(MAKE) --no-print-directory lint docs-lint
	$(MAKE) --no-print-directory argocd-engines
	$(BIN)/python -m pytest tests -p no:cacheprovider -q
	$(MAKE) --no-print-directory galaxy-import docsite
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory molecule

venv: $(VENV)/.installed
# Every venv installs from a lock with hashes (tools/lock.sh): the same packages on every machine, transitive
# ones included. `make lock` refreshes the locks from their inputs (requirements-dev.txt and the others).
$(VENV)/.installed: requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed: set PYTHON=python3.11")'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	touch $@

lock:  ## refresh the Python locks (requirements-dev.lock and the others tools/lock.sh lists) from their inputs
	tools/lock.sh

# Tests and the demo use the collection as a user gets it: built into a tarball and installed.
collection: venv
	rm -rf $(BUILD)/dist $(COLLECTION_DIR)
	mkdir -p $(BUILD)/dist $(ANSIBLE_LOCAL_TEMP)
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/dist >/dev/null
	$(BIN)/ansible-galaxy collection install --offline --force -p $(COLLECTIONS) $(BUILD)/dist/mlops-gitops-*.tar.gz >/dev/null
	@echo "installed $$(ls $(BUILD)/dist) into $(COLLECTIONS)"

# The local cluster from its Go modules (tools/gobuild/*/go.mod pin them), into .build/bin; rebuilt only when a
# pin changes: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (pods that run), and Argo
# CD (one `argocd` binary for its controllers) with its Redis, and KServe's controller. The first build takes
# 20-40 minutes.
CONTROL_PLANE := etcd kube-apiserver kube-controller-manager kube-scheduler kwok argocd argocd-redis kserve-manager
control-plane:
	$(GOBUILD) $(CONTROL_PLANE)

cluster-up: venv control-plane  ## start the local cluster, Argo CD and KServe in the background; writes .build/cluster/kubeconfig
	$(BIN)/python harness/cluster.py up --dir $(CLUSTER_DIR) --crds tests/data/crds

# The Operator SDK's `make run`: the controller in the foreground, the way the image runs it (the real
# ansible-operator with the project's watches.yaml, the Dockerfile's ENV and the Deployment's env, args and RBAC),
# against $KUBECONFIG or the local control plane (started when it is not up). Ctrl-C stops it.
# RUN_ARGS: e.g. "--namespace ml --env NOTEBOOK_CONTROLLER_MIN_INTERVAL=10".
run: collection control-plane operator-runtime  ## the controller in the foreground with its log, against $KUBECONFIG or the local cluster; Ctrl-C stops it
	$(BIN)/python harness/real_operator.py run $(RUN_ARGS)

cluster-down:  ## stop the control plane cluster-up started
	$(BIN)/python harness/cluster.py down --dir $(CLUSTER_DIR)

lint: collection
	tools/lock.sh --check
	$(BIN)/python harness/controller_settings.py --check
	$(BIN)/ruff check plugins harness tools tests
	$(BIN)/ansible-lint --offline --profile production
	$(MAKE) --no-print-directory changelog-lint

unit: collection
	$(BIN)/python -m pytest tests/unit -p no:cacheprovider -q

integration: collection control-plane kube-state-metrics
	$(BIN)/python -m pytest tests/integration -p no:cacheprovider -q

# One file or folder of tests against a fresh install: make check T=tests/unit/test_x.py [BUILD=/tmp/b1]
check: collection control-plane
	$(BIN)/python -m pytest $(T) -p no:cacheprovider -q

sanity: collection
	BUILD=$(BUILD) tools/sanity.sh $(SANITY_ARGS)

molecule: collection control-plane operator-runtime
	$(BIN)/molecule test --all

bench: collection control-plane operator-runtime  ## benchmarks (not part of `make test`); writes docs/benchmarks.md
	$(BIN)/python tools/bench.py

bench-aggregation: collection control-plane  ## benchmark 3 alone: the status aggregation over 100, 1,000 and 10,000 jobs against the bare paged list (BENCH_ARGS="--sizes 1000,2000")
	$(BIN)/python tools/bench.py --only aggregation $(BENCH_ARGS)

bench-argocd: collection control-plane  ## benchmark 7 alone: the real Argo CD (start-up, memory, wave release, sync trigger)
	$(BIN)/python tools/bench.py --only argocd $(BENCH_ARGS)

bench-floor: collection control-plane operator-runtime  ## benchmark 9 alone: CPU of a controller run against an empty role's (~6 min)
	$(BIN)/python tools/bench.py --only floor

bench-faults: collection control-plane operator-runtime  ## benchmark 8 alone: process faults (operator killed at each point, bursts with kube-apiserver/etcd restarted, leader killed; ~4x benchmark 6)
	$(BIN)/python tools/bench.py --only faults $(BENCH_ARGS)

bench-operator: collection control-plane operator-runtime  ## benchmarks 5 and 6 alone (real ansible-operator, ~13 min + the burst; BENCH_ARGS="--burst-jobs 0": 5 alone)
	$(BIN)/python tools/bench.py --only operator $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) .pytest_cache .ruff_cache

# ---- the controller under the real ansible-operator (tests/operator, docs/operator.md)
# A runtime like the ansible-operator base image's: its Python pins, the runner's http event plugin,
# kubernetes.core from the ansible release whose core is 2.18, and the collection from its tarball.
GOBUILD ?= $(CURDIR)/tools/gobuild/build.sh
OPERATOR_VENV := $(BUILD)/operator-venv
OPERATOR_COLLECTIONS := $(BUILD)/operator-collections
OPERATOR_ANSIBLE := 11.13.0
export MLOPS_OPERATOR_VENV := $(OPERATOR_VENV)
export MLOPS_OPERATOR_COLLECTIONS := $(OPERATOR_COLLECTIONS)

.PHONY: operator-venv operator-runtime operator-tests molecule-operator config kustomize kube-state-metrics
operator-venv: $(OPERATOR_VENV)/.installed
$(OPERATOR_VENV)/.installed: tests/operator/requirements-image.lock
	rm -rf $(OPERATOR_VENV)
	$(PYTHON) -m venv $(OPERATOR_VENV)
	$(OPERATOR_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
	  -r tests/operator/requirements-image.lock
	$(OPERATOR_VENV)/bin/python -m pip download --quiet --disable-pip-version-check --no-deps \
	  -d $(OPERATOR_VENV)/wheels ansible==$(OPERATOR_ANSIBLE)
	$(OPERATOR_VENV)/bin/python -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
	  z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith("ansible_collections/kubernetes/core/")])' \
	  $(OPERATOR_VENV)/wheels/ansible-$(OPERATOR_ANSIBLE)-py3-none-any.whl $(OPERATOR_VENV)/kubernetes-core
	rm -rf $(OPERATOR_VENV)/wheels
	touch $@

# The ansible-operator binary lives with the other Go builds in .build/bin, whatever BUILD says.
operator-runtime: collection operator-venv
	BUILD=$(CURDIR)/.build $(GOBUILD) ansible-operator
	rm -rf $(OPERATOR_COLLECTIONS)
	mkdir -p $(OPERATOR_COLLECTIONS)/ansible_collections/kubernetes
	cp -r $(OPERATOR_VENV)/kubernetes-core/ansible_collections/kubernetes/core $(OPERATOR_COLLECTIONS)/ansible_collections/kubernetes/
	env -u PYTHONPATH ANSIBLE_COLLECTIONS_PATH=$(OPERATOR_COLLECTIONS) $(OPERATOR_VENV)/bin/ansible-galaxy \
	  collection install --offline -p $(OPERATOR_COLLECTIONS) $(BUILD)/dist/mlops-gitops-*.tar.gz >/dev/null
	@echo "operator runtime: $(OPERATOR_VENV) with $$(ls $(BUILD)/dist) and kubernetes.core in $(OPERATOR_COLLECTIONS)"

# About 6-8 minutes on 2 busy cores (each ansible-runner run costs ~4 CPU seconds); make test runs them too.
operator-tests: operator-runtime kustomize control-plane  ## the controller under the real ansible-operator
	$(BIN)/python -m pytest tests/operator -p no:cacheprovider -q

# The molecule scenario on the real operator (molecule/operator); about 2 minutes.
molecule-operator: operator-runtime control-plane
	$(BIN)/molecule test -s operator

# The controller's settings from their one source, roles/notebook_controller/meta/argument_specs.yml (the roles'
# defaults, the Dockerfile's ENV, watches.yaml, the Deployment's env: harness/controller_settings.py), then
# config/ (kustomize manifests for the controller) from roles/notebook_controller_deploy/templates. `make lint`
# fails when a generated file is stale.
config: collection  ## every file generated from the controller's settings, and config/ from the role's templates
	$(BIN)/python harness/controller_settings.py
	$(MAKE) --no-print-directory collection >/dev/null
	$(BIN)/python harness/controller_config.py

# kustomize, as Argo CD renders a kustomization: the tests build config/ with it (tools/gobuild/kustomize
# pins v5.8.2; a cold build takes 2-3 minutes).
kustomize:
	$(GOBUILD) kustomize

# kube-state-metrics, which serves the collection's custom-resource metrics (docs/operator.md, "Labelled
# metrics"); tests/integration/test_kube_state_metrics.py runs it (tools/gobuild/ksm pins v2.18.0).
kube-state-metrics:
	$(GOBUILD) kube-state-metrics

# ---- publishing (issue 16): Galaxy's import check, the docs the Ansible way, the architecture picture
.PHONY: galaxy-import docs-lint docs-rst docsite diagram

galaxy-import: collection  ## galaxy-importer on the tarball, as Galaxy and Automation Hub run it on upload
	BUILD=$(BUILD) tools/galaxy-import/run.sh

# antsibull-docs copies a collection with `git ls-files` when it sits inside a git work tree, and this
# checkout ignores .build and .venv: GIT_CEILING_DIRECTORIES keeps it from counting as one.
docs-lint: collection  ## antsibull-docs lint-collection-docs --plugin-docs; role READMEs and guide RST current
	$(BIN)/python tools/role_readme.py --check
	$(BIN)/python tools/guides_rst.py --check
	cd $(COLLECTION_DIR) && GIT_CEILING_DIRECTORIES=$(CURDIR) \
	  $(BIN)/antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs .

docs-rst:  ## rewrite roles/*/README.md variables and docs/docsite/rst from their sources
	$(BIN)/python tools/role_readme.py
	$(BIN)/python tools/guides_rst.py

docsite: collection  ## the collection's docsite (antsibull-docs + Sphinx -W) into $(BUILD)/docsite/build/html
	BUILD=$(BUILD) tools/docsite.sh

diagram:  ## render docs/architecture.dot to docs/architecture.svg (installs Graphviz when missing)
	tools/render_diagram.sh

# Argo CD's own engines (tests/argocd_engines, a Go module): health.lua in gopher-lua with Argo CD's
# sandbox, the notification triggers and templates in Argo CD's notifications engine.
.PHONY: argocd-engines
argocd-engines:
	cd tests/argocd_engines && go test -count=1 ./...

# ---- the changelog (antsibull-changelog): one fragment per change in changelogs/fragments (CONTRIBUTING.md);
# changelogs/changelog.yaml is the record and CHANGELOG.md is generated from it, never edited by hand.
.PHONY: changelog-lint changelog
changelog-lint: venv  ## fragments and changelogs/changelog.yaml valid; CHANGELOG.md as generated from them
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	mkdir -p $(BUILD)
	$(BIN)/antsibull-changelog generate --output $(BUILD)/CHANGELOG.md
	@diff -u CHANGELOG.md $(BUILD)/CHANGELOG.md || { echo "CHANGELOG.md is generated from changelogs/:" \
	  "add a fragment (CONTRIBUTING.md, Changelog) instead of editing it"; exit 1; }

# Folds the fragments into the release in galaxy.yml (CHANGELOG_ARGS=--update-existing while that version is
# unpublished) and regenerates CHANGELOG.md. It runs on a copy of the installed collection, as docs-lint runs
# antsibull-docs: in this checkout it would copy every file git does not ignore (.venv too) to run ansible-doc.
CHANGELOG_ARGS ?=
CHANGELOG_COPY := $(BUILD)/changelog/ansible_collections/mlops/gitops
changelog: collection  ## fold changelogs/fragments into changelogs/changelog.yaml and regenerate CHANGELOG.md
	rm -rf $(BUILD)/changelog
	mkdir -p $(dir $(CHANGELOG_COPY))
	cp -r $(COLLECTION_DIR) $(CHANGELOG_COPY)
	cp galaxy.yml CHANGELOG.md $(CHANGELOG_COPY)/
	rm -rf $(CHANGELOG_COPY)/changelogs && cp -r changelogs $(CHANGELOG_COPY)/changelogs
	cd $(CHANGELOG_COPY) && GIT_CEILING_DIRECTORIES=$(CURDIR) $(BIN)/antsibull-changelog release $(CHANGELOG_ARGS)
	cp $(CHANGELOG_COPY)/changelogs/changelog.yaml changelogs/changelog.yaml
	cp $(CHANGELOG_COPY)/CHANGELOG.md CHANGELOG.md
	@echo "removing the fragments the release folded in (keep_fragments: false removed them from the copy)"
	for f in changelogs/fragments/*; do [ -e "$(CHANGELOG_COPY)/$$f" ] || rm -f "$$f"; done

