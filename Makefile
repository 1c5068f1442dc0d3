# The front door. `make help` lists every target in one line each.
SHELL := /bin/bash
# Built tools (uv, Kafka's jars, FerretDB, Jaeger, helm) are shared by every clone on the machine.
export CALLPLANE_TOOLS ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/callplane/tools
UV_VERSION := 0.13.8
UV ?= $(shell command -v uv 2>/dev/null || echo $(CALLPLANE_TOOLS)/uv-$(UV_VERSION)/bin/uv)
# Exported: scripts (and `uv run`'s children) find uv even when it is only in the tools cache.
export UV
STACK := $(UV) run --frozen python deploy/local/stack.py
SOURCES := shared services clients edges tests deploy/local deploy/grafana deploy/demo deploy/helm

.DEFAULT_GOAL := help
.PHONY: restart help bootstrap sync up down stack-up stack-down stack-status services-up services-down test test-unit test-integration lint fmt bench

help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

bootstrap: ## Install what a fresh machine lacks: uv (no root), nginx, chromium, kamailio, sipp (apt)
	@UV_VERSION=$(UV_VERSION) bash deploy/local/bootstrap.sh

sync: bootstrap ## Install the locked Python environment (uv sync --frozen)
	@$(UV) sync --frozen --all-packages

up: sync ## Run the whole system (Kafka: one node; `make up KAFKA_BROKERS=3` for three)
	@$(STACK) all-up

down: demo-down ## Stop everything `make up` started
	@$(STACK) all-down

stack-up: sync ## Start only the infrastructure (Kafka, FerretDB, Jaeger, nginx) and create topics
	@$(STACK) up

stack-down: ## Stop the infrastructure
	@$(STACK) down

stack-status: ## Show what is running and whether it answers
	@$(STACK) status

services-up: sync ## (Re)start only the four services against a running stack
	@$(STACK) services-up

services-down: ## Stop only the four services
	@$(STACK) services-down

test: up ## Start the system and run every test (unit, integration, e2e)
	@$(UV) run --frozen pytest

test-unit: sync ## Run only the unit tests (no services needed)
	@$(UV) run --frozen pytest -m unit

lint: sync ## ruff check, ruff format --check, mypy --strict, no merge-conflict markers
	@# The README once carried a merge's conflict markers, and no check looked at Markdown.
	@! git grep -n -I -E '^(<<<<<<<|>>>>>>>) ' -- . || { echo "merge conflict markers above"; exit 1; }
	@$(UV) run --frozen ruff check $(SOURCES)
	@$(UV) run --frozen ruff format --check $(SOURCES)
	@$(UV) run --frozen mypy shared/src services/*/src clients/*/src edges/*/src tests deploy/local deploy/grafana deploy/demo deploy/helm

fmt: sync ## Apply ruff's fixes and formatting
	@$(UV) run --frozen ruff check --fix $(SOURCES)
	@$(UV) run --frozen ruff format $(SOURCES)

restart: sync ## Restart services after a code change: make restart [SERVICES="call-dispatch ..."]
	@$(STACK) restart $(SERVICES)

.PHONY: helm-check
helm-check: sync ## Lint, render and validate the Helm chart offline (helm, kubernetes-validate, checkov)
	@$(UV) run --frozen python deploy/helm/check.py

.PHONY: k8s-check
k8s-check: sync ## Install, upgrade, roll back the chart in a real kube-apiserver on loopback (no nodes)
	@PYTHONPATH=deploy/local $(UV) run --frozen python deploy/helm/k8s_check.py

bench: sync ## One table: Kafka's Java floor, relays per client, call-dispatch up to 10,000/s, masking, view (~6 min; needs `make up`)
	@$(UV) run --frozen python services/call-dispatch/bench/run.py
	@$(UV) run --frozen python services/number-masking/bench/isolation.py

.PHONY: bench-scaleout
bench-scaleout: sync ## Three call-dispatch processes at 2,000 calls/s, one killed -9 and restarted: lost, duplicates, p99 (~2 min)
	@$(UV) run --frozen python services/call-dispatch/bench/scaleout.py

.PHONY: demo demo-down
demo: sync ## A demo account and numbers (masked + routed), a local customer platform, calls and traces
	@bash deploy/demo/demo.sh up

demo-down: ## Stop the demo customer platform (`make down` does it too)
	@bash deploy/demo/demo.sh down

.PHONY: asyncapi
asyncapi: sync ## Regenerate the committed AsyncAPI documents from the contract (CI fails on drift)
	@$(UV) run --frozen python -c 'from callplane_shared.asyncapi import app; import pathlib; pathlib.Path("shared/asyncapi.yaml").write_text(app.schema.to_specification().to_yaml())'
	@$(UV) run --frozen python -c 'from call_dispatch.asyncapi import app; import pathlib; pathlib.Path("services/call-dispatch/asyncapi.yaml").write_text(app.schema.to_specification().to_yaml())'

.PHONY: openapi
openapi: sync ## Regenerate every service's committed OpenAPI document (CI fails on drift)
	@$(UV) run --frozen python -m action_config.openapi
	@$(UV) run --frozen python -m number_inventory.openapi > services/number-inventory/openapi.json
	@$(UV) run --frozen python -m number_masking.openapi > services/number-masking/openapi.json
	@$(UV) run --frozen python -m call_dispatch.openapi > services/call-dispatch/openapi.json
	@$(UV) run --frozen python -m call_records.openapi > services/call-records/openapi.json

.PHONY: failover-test
failover-test: sync ## Three brokers, 1,000 calls/s, kill -9 the busiest leader, then the controller (FAILOVER_ARGS="--rate 150")
	@KAFKA_BROKERS=3 $(STACK) all-up
	@PYTHONPATH=deploy/local $(UV) run --frozen python -m tests.failover.run $(FAILOVER_ARGS)

.PHONY: sip-up sip-down sip-demo sip-bench
sip-up: up ## Start the reference SIP edge too: Kamailio (UDP 5060) and the sip-edge adapter
	@$(STACK) sip-up

sip-down: ## Stop Kamailio and the sip-edge adapter (`make down` does it too)
	@$(STACK) sip-down

sip-demo: sip-up ## Real SIP calls of every kind through Kamailio (SIPp), with decisions and trace links
	@$(UV) run --frozen python edges/sip-edge/demo/run.py

sip-bench: sip-up ## SIPp at 50 and 200 calls/s, 60 s each, callplane deciding vs static forwarding (~5 min)
	@$(UV) run --frozen python edges/sip-edge/bench/run.py
