# The two commands of the README: `make run` and `make test`. Each installs
# what it needs on a fresh machine (npm; Go and Python 3 for the chart
# tooling). Every target runs on the project's Node.js line: the machine's
# node when it is of that line, otherwise the pinned release that
# scripts/install-node.sh puts into .tools/node/bin.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.install-stamp
NODE := .tools/node/bin/node
export PATH := $(CURDIR)/.tools/node/bin:$(PATH)

.PHONY: help install build lint typecheck test test-node test-browser test-chart test-cluster test-image test-kubelet image tools run secrets clean \
  lint-shell lint-dockerfile lint-yaml lint-workflows chart-lint chart-ct-lint chart-unittest chart-kubeconform chart-kube-score chart-docs chart-spec

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(NODE): scripts/install-node.sh
	@bash scripts/install-node.sh >/dev/null

$(NPM_STAMP): package.json package-lock.json $(NODE)
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP) ## install the Node.js dependencies (npm ci)

build: install ## compile both apps into dist/
	npm run build

lint: install ## eslint and the Prettier check over the whole tree (npm run format applies it)
	npm run lint

typecheck: install ## tsc --noEmit over apps, libs, tests and benchmarks
	npm run typecheck

test-node: build tools ## unit and end-to-end tests (starts its own PostgreSQL)
	npx jest --ci --selectProjects unit e2e

test-browser: build tools ## the dashboard in Debian's Chromium through Playwright, against the built API
	npx jest --ci --selectProjects browser

IMAGE ?= localhost/slack-metrics:dev
export CONTAINERS_CONF := $(CURDIR)/.tools/containers/containers.conf

image: tools ## build the container image with podman (root; a local Node.js base stands in for the official one)
	bash scripts/build-image.sh $(IMAGE)

test-image: install image ## run the built image as the chart runs it, against a local PostgreSQL
	SLACK_METRICS_IMAGE=$(IMAGE) npx jest --ci --selectProjects image

tools: ## pinned tooling into .tools/ (helm, ct, kube-score, pg_dump, ...)
	bash scripts/install-tools.sh

# The chart, the container and the deployment files, checked offline with the pinned tools of
# scripts/install-tools.sh. `make test-chart` runs every check even when one fails, then fails if
# any did; each check is a target of its own for a second run (after `make tools` and `make build`).
TOOLS_BIN := $(CURDIR)/.tools/bin
CHART := charts/slack-metrics
CHART_NAMESPACE := slack-metrics
# Values sets of the rendering checks: the defaults, both environments and the ci/ files (which
# ct lint picks up too).
CHART_VALUES := $(CHART)/values.yaml $(CHART)/values-minikube.yaml $(CHART)/values-cloud.yaml $(wildcard $(CHART)/ci/*-values.yaml)
# Kubernetes versions the renderings are validated against: the oldest the chart supports (CronJob
# timeZone is GA since 1.27; 1.30 is the oldest the distributions still maintain) and a current
# one. scripts/install-tools.sh prepares their schemas.
KUBE_VERSIONS := 1.30.0 1.33.0
HELM_TEMPLATE := $(TOOLS_BIN)/helm template slack-metrics $(CHART) --namespace $(CHART_NAMESPACE)
CHART_CHECKS := lint-shell lint-dockerfile lint-yaml lint-workflows chart-lint chart-ct-lint chart-unittest chart-kubeconform chart-kube-score chart-docs chart-spec
# helm keeps its cache and settings under .tools/helm rather than in the home directory.
export HELM_CACHE_HOME := $(CURDIR)/.tools/helm/cache
export HELM_CONFIG_HOME := $(CURDIR)/.tools/helm/config
export HELM_DATA_HOME := $(CURDIR)/.tools/helm/data

test-chart: tools build ## lint, render, validate and test the Helm chart and the deployment files
	@$(MAKE) --no-print-directory -k $(CHART_CHECKS)

lint-shell: ## shellcheck over the scripts
	$(TOOLS_BIN)/shellcheck scripts/*.sh scripts/lib/*.sh .ci/run

lint-dockerfile: ## hadolint over the Dockerfile
	$(TOOLS_BIN)/hadolint Dockerfile

lint-yaml: ## yamllint over skaffold.yaml, the workflows, Argo CD's Application and the chart's values files
	$(TOOLS_BIN)/yamllint -c charts/lintconf.yaml skaffold.yaml docs/argocd-application.yaml .github/workflows/*.yml \
	  $(CHART)/values-minikube.yaml $(CHART)/values-cloud.yaml $(CHART)/ci/*.yaml

lint-workflows: ## actionlint (with shellcheck) over .github/workflows
	$(TOOLS_BIN)/actionlint -shellcheck $(TOOLS_BIN)/shellcheck

chart-lint: ## helm lint --strict with every values set
	@status=0; for values in $(CHART_VALUES); do \
	  echo "helm lint --strict -f $$values"; \
	  $(TOOLS_BIN)/helm lint --quiet --strict --namespace $(CHART_NAMESPACE) $(CHART) -f $$values || status=1; \
	done; exit $$status

chart-ct-lint: ## chart-testing's lint (Chart.yaml schema, yamllint, version and maintainers rules)
	PATH="$(TOOLS_BIN):$$PATH" $(TOOLS_BIN)/ct lint --config charts/ct.yaml

chart-unittest: ## the helm-unittest suites under charts/slack-metrics/tests
	$(TOOLS_BIN)/helm-unittest --color=false $(CHART)

# Strict: unknown fields are errors. ServiceMonitor and PrometheusRule are Prometheus Operator CRDs
# for which no registry package ships a schema; their fields are covered by the helm-unittest
# suites, and the rule expressions by test/chart/.
chart-kubeconform: ## kubeconform -strict of every values set's rendering, for each Kubernetes version
	@set -o pipefail; status=0; for values in $(CHART_VALUES); do for version in $(KUBE_VERSIONS); do \
	  echo "kubeconform -strict (Kubernetes $$version) $$values"; \
	  $(HELM_TEMPLATE) -f $$values | $(TOOLS_BIN)/kubeconform -strict -summary -kubernetes-version $$version \
	    -skip ServiceMonitor,PrometheusRule \
	    -schema-location '$(CURDIR)/.tools/k8s-schemas/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json' - \
	    || status=1; \
	done; done; exit $$status

# kube-score fails on any CRITICAL finding; warnings are printed. Left as warnings: the egress half
# of pod-networkpolicy (app pods must reach DNS, PostgreSQL and the Slack API on the internet,
# which a portable NetworkPolicy cannot narrow to a host name; PostgreSQL itself gets an egress
# deny-all). The PostgreSQL StatefulSet carries `kube-score/ignore:
# container-security-context-user-group-id`: the official image's postgres user is uid 999, below
# kube-score's 10000; it is otherwise restricted. Optional checks turned on: seccomp profile and
# container ports.
chart-kube-score: ## kube-score of the cloud values' rendering
	@set -o pipefail; $(HELM_TEMPLATE) -f $(CHART)/values-cloud.yaml \
	  | $(TOOLS_BIN)/kube-score score --output-format ci \
	    --enable-optional-test container-seccomp-profile --enable-optional-test container-ports-check - \
	  | { grep -v -e '^\[OK\]' -e '^\[SKIPPED\]' || true; }

chart-docs: ## the chart's README is what helm-docs generates from values.yaml and README.md.gotmpl
	@$(TOOLS_BIN)/helm-docs --dry-run --log-level warning --chart-search-root charts | diff -u $(CHART)/README.md - \
	  || { echo "$(CHART)/README.md is out of date: run .tools/bin/helm-docs -c charts"; exit 1; }

chart-spec: ## test/chart/: the rendered chart against the code it deploys, the monitoring docs and make-secrets
	npx jest --ci --selectProjects chart

test-cluster: install ## the chart on a real Kubernetes API server (built once into .tools/)
	bash scripts/install-tools.sh --cluster
	bash scripts/test-cluster.sh

test-kubelet: install image ## the chart's pods on a real kubelet, containerd and kube-proxy in a sealed network namespace (root)
	bash scripts/install-tools.sh --cluster --node
	bash scripts/build-kubelet-images.sh $(IMAGE)
	bash scripts/test-kubelet.sh

test: lint typecheck test-node test-browser test-chart test-cluster test-image test-kubelet ## everything CI runs

run: build ## start the service on the embedded PostgreSQL (or DATABASE_URL)
	bash scripts/run.sh

secrets: ## generate local deployment secrets for skaffold/helm
	bash scripts/make-secrets.sh

clean: ## remove build output (keeps .data/ and .tools/)
	rm -rf dist coverage
