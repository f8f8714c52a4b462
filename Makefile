# Cityscreen: `make run` starts the dashboard on the demo city, `make test` runs lint and every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
APPS ?= 2
# The cluster's first loopback port (nginx; then the primary, the replica, the apps); default 8600.
CLUSTER_FIRST_PORT ?=

.DEFAULT_GOAL := test
.PHONY: run demo signin-demo cluster cluster-stop cluster-status cluster-packages test lint pytest demo-db browser oidc \
	install install-dev benchmark load-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Build the demo city into the default SQLite database (var/cityscreen.sqlite) when it is missing.
demo-db: install
	$(BIN)/python -m sample_data demo

## The open demo listens on loopback only; app.py is served behind deploy/gate.py (deploy/server.py).
run: demo-db
	$(BIN)/streamlit run deploy/server.py --server.address 127.0.0.1 --server.port $(PORT)

## The app and the live feed together (new work orders every few seconds); Ctrl-C stops both.
demo: demo-db
	$(BIN)/python -m sample_data simulate & trap "kill $$!" EXIT INT TERM; \
		$(BIN)/streamlit run deploy/server.py --server.address 127.0.0.1 --server.port $(PORT)

## Sign-in on one machine: a real OIDC provider on loopback, demo users of every role, a wall key.
signin-demo: demo-db oidc
	$(BIN)/python -m deploy.signin_demo --port $(PORT)

## The production topology on this machine's loopback (deploy/cluster.py, docs/deploy.md): a PostgreSQL primary and
## a streaming replica under var/cluster/, APPS app processes, nginx in front; the demo city loaded into the primary.
cluster: install cluster-packages
	$(BIN)/python -m deploy.cluster start --apps $(APPS) $(if $(CLUSTER_FIRST_PORT),--first-port $(CLUSTER_FIRST_PORT))

## Stops, by process id, everything `make cluster` started.
cluster-stop:
	$(BIN)/python -m deploy.cluster stop

cluster-status:
	$(BIN)/python -m deploy.cluster status

## Debian's nginx and PostgreSQL server binaries for the cluster (installed only when missing and we are root).
cluster-packages:
	@bash .ci/install-cluster.sh

## Debian's chromium and CJK fonts for the browser tests (installed only when missing and we are root).
browser:
	@bash .ci/install-browser.sh

## The development OpenID Connect provider (npm's oidc-provider, pinned by deploy/oidc/package-lock.json).
deploy/oidc/node_modules/.installed: deploy/oidc/package-lock.json
	cd deploy/oidc && npm ci --no-audit --no-fund --silent
	touch $@

oidc: deploy/oidc/node_modules/.installed

lint: install-dev
	$(BIN)/ruff check .

pytest: install-dev browser oidc cluster-packages
	$(BIN)/python -m pytest

test: lint pytest

benchmark: install-dev
	$(BIN)/python benchmarks/data_access_bench.py

## 36 staff and 4 walls through the websocket protocol against `make cluster`, 1 process then APPS (benchmarks/load_test.py).
load-test: install-dev cluster
	$(BIN)/python benchmarks/load_test.py --processes 1,$(APPS)

clean:
	-@[ ! -x $(BIN)/python ] || [ ! -d var/cluster ] || $(BIN)/python -m deploy.cluster stop
	rm -rf $(VENV) var .pytest_cache .ruff_cache test-artifacts deploy/oidc/node_modules
