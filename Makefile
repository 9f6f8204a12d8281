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

.PHONY: help install build lint typecheck test test-node test-browser test-chart test-cluster test-image test-kubelet image tools run secrets clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(NODE): scripts/install-node.sh
	@bash scripts/install-node.sh >/dev/null

$(NPM_STAMP): package.json package-lock.json $(NODE)
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP) ## install the Node.js dependencies (npm ci)

build: install ## compile both apps into dist/
	npm run build

lint: install ## eslint over the whole tree
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

test-chart: tools ## lint, render, validate and unit-test the Helm chart
	bash scripts/test-chart.sh

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
