# The README's two commands are `make demo` and `make test`; every other target is a step of them.
# Nothing needs to be installed by hand: the first run builds .venv from requirements-dev.txt.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
BUILD ?= $(CURDIR)/.build
COLLECTIONS := $(BUILD)/collections
COLLECTION_DIR := $(COLLECTIONS)/ansible_collections/mlops/gitops
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(COLLECTIONS):$(CURDIR)/tools
export ANSIBLE_NOCOWS := 1
export ANSIBLE_LOCAL_TEMP := $(BUILD)/ansible-tmp
export PATH := $(BIN):$(PATH)

.PHONY: demo test venv collection lint unit emulator-tests integration check sanity molecule bench clean

demo: collection  ## run the end-to-end demo against the local emulator (or $KUBECONFIG)
	$(BIN)/python tools/demo.py

test: collection  ## every test: lint, unit, emulator contract, integration, packaging, sanity, molecule
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest tests -p no:cacheprovider -q
	$(MAKE) --no-print-directory sanity
	$(MAKE) --no-print-directory molecule

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Tests and the demo use the collection as a user gets it: built into a tarball and installed.
collection: venv
	rm -rf $(BUILD)/dist $(COLLECTION_DIR)
	mkdir -p $(BUILD)/dist $(ANSIBLE_LOCAL_TEMP)
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/dist >/dev/null
	$(BIN)/ansible-galaxy collection install --offline --force -p $(COLLECTIONS) $(BUILD)/dist/mlops-gitops-*.tar.gz >/dev/null
	@echo "installed $$(ls $(BUILD)/dist) into $(COLLECTIONS)"

lint: collection
	$(BIN)/ruff check plugins tools tests
	$(BIN)/ansible-lint --offline --profile production

unit: collection
	$(BIN)/python -m pytest tests/unit -p no:cacheprovider -q

emulator-tests: collection
	$(BIN)/python -m pytest tests/emulator -p no:cacheprovider -q

integration: collection
	$(BIN)/python -m pytest tests/integration -p no:cacheprovider -q

# One file or folder of tests against a fresh install: make check T=tests/unit/test_x.py [BUILD=/tmp/b1]
check: collection
	$(BIN)/python -m pytest $(T) -p no:cacheprovider -q

sanity: collection
	BUILD=$(BUILD) tools/sanity.sh $(SANITY_ARGS)

molecule: collection
	$(BIN)/molecule test --all

bench: collection  ## benchmarks (not part of `make test`); writes docs/benchmarks.md
	$(BIN)/python tools/bench.py

clean:
	rm -rf $(BUILD) .pytest_cache .ruff_cache

# Argo CD's own engines (tests/argocd_engines, a Go module): health.lua in gopher-lua with Argo CD's
# sandbox, the notification triggers and templates in Argo CD's notifications engine.
.PHONY: argocd-engines
argocd-engines:
	cd tests/argocd_engines && go test -count=1 ./...

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
