"""docker-compose.yml, checked with the real compose CLI (`docker compose config`) for both
shapes: what must hold before anyone runs it on an engine."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from mnistsite.env import cassandra_replication

ROOT = Path(__file__).resolve().parents[2]
# The real compose v2 CLI, built from its Go module by `make compose-cli`.
COMPOSE_CLI = ROOT / ".cache" / "docker-compose" / "docker-compose"
COMPOSE_ENV_EXAMPLE = ROOT / "docker" / "compose.env.example"
CLUSTER_ENV = ROOT / "docker" / "cluster.env"
SHAPES = {"single": [COMPOSE_ENV_EXAMPLE], "cluster": [COMPOSE_ENV_EXAMPLE, CLUSTER_ENV]}
# The two secrets compose refuses to start without, as an operator fills them in.
TEST_SECRETS = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "POSTGRES_PASSWORD": secrets.token_hex(16),
}
APP_IMAGES = {"mnistsite:serving", "mnistsite:training"}
# Services that are not servers: a one-shot job, the drainer (no port to ask) and training.
NOT_HEALTH_CHECKED = {"migrate", "drainer", "train"}
# Who reads the variables compose gives the app.
READERS = [
    ROOT / "mnistsite" / "settings.py",
    ROOT / "mnistsite" / "env.py",
    ROOT / "gunicorn.conf.py",
    ROOT / "docker" / "entrypoint.sh",
    ROOT / "docker" / "wait.py",
]
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY\b")


def run_compose(*args: str, env_files: list[Path], env: dict[str, str]):
    if not COMPOSE_CLI.is_file():
        pytest.fail(
            f"No compose CLI at {COMPOSE_CLI}: `make compose-cli` builds it (~4 min, once)."
        )
    command = [str(COMPOSE_CLI), "--project-directory", str(ROOT)]
    for env_file in env_files:
        command += ["--env-file", str(env_file)]
    return subprocess.run(
        [*command, *args],
        cwd=ROOT,
        # Nothing from the caller's shell: only the env files and what the test gives.
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def compose_config() -> dict[str, dict]:
    """The resolved model of each shape, as `docker compose config` prints it."""
    configs = {}
    for shape, env_files in SHAPES.items():
        result = run_compose("config", "--format", "json", env_files=env_files, env=TEST_SECRETS)
        assert result.returncode == 0, result.stderr
        configs[shape] = json.loads(result.stdout)
    return configs


def app_services(config: dict) -> dict[str, dict]:
    return {n: s for n, s in config["services"].items() if s.get("image") in APP_IMAGES}


def has_healthcheck(service: dict) -> bool:
    check = service.get("healthcheck")
    if check is not None:
        return not check.get("disable", False)
    # No healthcheck in compose: the app images bring the Dockerfile's HEALTHCHECK.
    return service.get("image") == "mnistsite:serving"


def test_both_shapes_are_valid_with_the_services_they_promise(compose_config):
    single = set(compose_config["single"]["services"])
    cluster = set(compose_config["cluster"]["services"])
    assert single == {"cassandra", "postgres", "migrate", "web", "drainer"}
    assert cluster == single | {"cassandra-2", "cassandra-3", "proxy"}


@pytest.mark.parametrize("missing", sorted(TEST_SECRETS))
def test_it_refuses_to_run_without_a_secret(missing):
    env = {k: v for k, v in TEST_SECRETS.items() if k != missing}
    result = run_compose("config", "--quiet", env_files=SHAPES["single"], env=env)
    assert result.returncode != 0
    assert f"set {missing} in docker/compose.env" in result.stderr


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_port_is_published_on_localhost_only(compose_config, shape):
    published = [
        (name, port)
        for name, service in compose_config[shape]["services"].items()
        for port in service.get("ports", [])
    ]
    assert published, "the site must be reachable"
    for name, port in published:
        assert port.get("host_ip") == "127.0.0.1", f"{name} publishes {port} beyond localhost"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_services_wait_for_healthy_dependencies(compose_config, shape):
    services = compose_config[shape]["services"]
    for name, service in services.items():
        for dependency, how in service.get("depends_on", {}).items():
            condition = how["condition"]
            assert condition in {"service_healthy", "service_completed_successfully"}, (
                f"{name} starts as soon as {dependency} starts ({condition})"
            )
            if dependency not in services:
                assert how["required"] is False, f"{name} needs {dependency}, absent in {shape}"
            elif condition == "service_healthy":
                assert has_healthcheck(services[dependency]), f"{dependency} has no healthcheck"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_long_running_service_has_a_healthcheck(compose_config, shape):
    for name, service in compose_config[shape]["services"].items():
        if name not in NOT_HEALTH_CHECKED:
            assert has_healthcheck(service), f"{name} has no healthcheck"
    # Scaled web replicas must never migrate at once: one job does it before them.
    web = compose_config[shape]["services"]["web"]
    assert web["command"] == ["serve"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_all_on_one_bridge_network_with_named_volumes(compose_config, shape):
    config = compose_config[shape]
    assert {n["driver"] for n in config["networks"].values()} == {"bridge"}
    for name, service in config["services"].items():
        assert list(service["networks"]) == ["backend"], name
        for volume in service.get("volumes", []):
            if volume["target"] != "/etc/caddy/Caddyfile":
                assert volume["type"] == "volume", f"{name} keeps data in a host path"


def test_cassandra_acknowledges_only_what_reached_the_disk(compose_config):
    nodes = [
        s for n, s in compose_config["cluster"]["services"].items() if n.startswith("cassandra")
    ]
    assert len(nodes) == 3
    for node in nodes:
        options = node["environment"]["JVM_EXTRA_OPTS"].split()
        assert "-Dcassandra.config.allow_system_properties=true" in options
        assert "-Dcassandra.settings.commitlog_sync=batch" in options
        assert "-Dcassandra.settings.commitlog_sync_period=0ms" in options


def test_the_cluster_has_three_replicas_at_local_quorum(compose_config):
    services = compose_config["cluster"]["services"]
    nodes = {n: s for n, s in services.items() if n.startswith("cassandra")}
    assert set(nodes) == {"cassandra", "cassandra-2", "cassandra-3"}
    datacenters = {s["environment"]["CASSANDRA_DC"] for s in nodes.values()}
    assert len(datacenters) == 1
    heap_mb = 0
    for node in nodes.values():
        env = node["environment"]
        assert env["CASSANDRA_CLUSTER_NAME"] == "mnistsite"
        assert env["CASSANDRA_SEEDS"] == "cassandra"
        assert env["CASSANDRA_ENDPOINT_SNITCH"] == "GossipingPropertyFileSnitch"
        heap_mb += int(env["MAX_HEAP_SIZE"].rstrip("M"))
    assert heap_mb <= 3 * 1024, "three heaps must fit beside the site on a small host"
    # Nodes join one after another, each once the one before answers.
    assert services["cassandra-2"]["depends_on"]["cassandra"]["condition"] == "service_healthy"
    assert services["cassandra-3"]["depends_on"]["cassandra-2"]["condition"] == "service_healthy"

    for name, service in app_services(compose_config["cluster"]).items():
        env = service["environment"]
        assert env["CASSANDRA_HOSTS"].split(",") == sorted(nodes), name
        replication = cassandra_replication_from(env["CASSANDRA_REPLICATION"])
        assert replication == {
            "strategy_class": "NetworkTopologyStrategy",
            **dict.fromkeys(datacenters, 3),
        }
    # LOCAL_QUORUM is the settings' consistency for every request (2 of 3 replicas).
    settings = (ROOT / "mnistsite" / "settings.py").read_text()
    assert "consistency_level=ConsistencyLevel.LOCAL_QUORUM" in settings


def cassandra_replication_from(raw: str) -> dict:
    os.environ["_TEST_REPLICATION"] = raw
    try:
        return cassandra_replication("_TEST_REPLICATION", {})
    finally:
        del os.environ["_TEST_REPLICATION"]


def test_the_single_node_keeps_one_replica(compose_config):
    for service in app_services(compose_config["single"]).values():
        replication = cassandra_replication_from(service["environment"]["CASSANDRA_REPLICATION"])
        assert replication == {"strategy_class": "NetworkTopologyStrategy", "datacenter1": 1}


def test_three_web_replicas_sit_behind_a_health_checked_proxy(compose_config):
    services = compose_config["cluster"]["services"]
    replicas = services["web"]["deploy"]["replicas"]
    assert replicas == 3
    # Each replica gets its own port of a range; the proxy takes the site's port.
    web_ports = services["web"]["ports"][0]["published"]
    low, high = (int(p) for p in web_ports.split("-"))
    assert high - low + 1 >= replicas
    assert services["proxy"]["ports"][0]["published"] == "8000"
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"
    upstreams = services["proxy"]["environment"]["WEB_UPSTREAMS"].split()
    assert upstreams == [f"mnistsite-web-{i}:8000" for i in range(1, replicas + 1)]
    caddyfile = (ROOT / "docker" / "Caddyfile").read_text()
    assert "reverse_proxy {$WEB_UPSTREAMS}" in caddyfile
    assert re.search(r"^\s*health_uri /readyz$", caddyfile, re.MULTILINE)
    assert re.search(r"^\s*Host localhost$", caddyfile, re.MULTILINE)


def test_every_variable_given_to_the_app_is_one_it_reads(compose_config):
    sources = "\n".join(path.read_text() for path in READERS)
    for shape in SHAPES:
        for name, service in app_services(compose_config[shape]).items():
            for variable in service["environment"]:
                if variable.startswith("DJANGO_SUPERUSER_"):
                    # Django's own `createsuperuser --noinput` reads these.
                    continue
                assert variable in sources, f"{name} sets {variable}, which nothing reads"


def test_every_variable_of_the_env_files_is_used_by_compose():
    compose_file = (ROOT / "docker-compose.yml").read_text()
    for env_file in (COMPOSE_ENV_EXAMPLE, CLUSTER_ENV):
        for variable in env_variables(env_file):
            if variable.startswith("COMPOSE_"):
                continue  # read by compose itself
            assert "${" + variable in compose_file, f"{env_file.name}: {variable} is unused"


def env_variables(path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def test_no_secret_is_committed():
    for env_file in (COMPOSE_ENV_EXAMPLE, CLUSTER_ENV):
        for variable, value in env_variables(env_file).items():
            if SECRET_NAME.search(variable):
                assert value == "", f"{env_file.name} commits a value for {variable}"
    # In the compose file a secret is only ever interpolated, and required.
    for line in (ROOT / "docker-compose.yml").read_text().splitlines():
        key, _, value = line.strip().partition(":")
        if SECRET_NAME.search(key) and value.strip():
            assert "${" in value, f"docker-compose.yml commits {line.strip()}"
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "docker/compose.env" in ignored
    docker_ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".env", "docker/compose.env"} <= set(docker_ignored)


def deploy_checks(compose_config) -> subprocess.CompletedProcess:
    web = compose_config["single"]["services"]["web"]
    # The image's own environment, then what compose adds; /app is this checkout.
    env = {"PATH": os.environ["PATH"], "DJANGO_DEBUG": "0", "DJANGO_ENV_FILE": ""}
    for name, value in web["environment"].items():
        env[name] = str(ROOT) + value[len("/app") :] if value.startswith("/app/") else value
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_compose_environment_passes_the_deploy_checks(compose_config):
    result = deploy_checks(compose_config)
    assert result.returncode == 0, result.stderr + result.stdout
