# The two commands of the README: `make run` and `make test`. Each installs
# what it needs on a fresh machine (Node.js 20.19+; Go and Python 3 for the
# chart tooling).
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.install-stamp

.PHONY: help install build lint typecheck test test-node test-chart test-cluster tools run secrets clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(NPM_STAMP): package.json package-lock.json
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
	npx jest --ci

tools: ## pinned tooling into .tools/ (helm, ct, kube-score, pg_dump, ...)
	bash scripts/install-tools.sh

test-chart: tools ## lint, render, validate and unit-test the Helm chart
	bash scripts/test-chart.sh

test-cluster: install ## the chart on a real Kubernetes API server (built once into .tools/)
	bash scripts/install-tools.sh --cluster
	bash scripts/test-cluster.sh

test: lint typecheck test-node test-chart test-cluster ## everything CI runs

run: build ## start the service on the embedded PostgreSQL (or DATABASE_URL)
	bash scripts/run.sh

secrets: ## generate local deployment secrets for skaffold/helm
	bash scripts/make-secrets.sh

clean: ## remove build output (keeps .data/ and .tools/)
	rm -rf dist coverage
