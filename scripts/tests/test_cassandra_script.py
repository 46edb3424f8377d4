"""Fast tests of the pure parts of scripts/cassandra and its package scripts/cassandra_node
(no Cassandra, no network, no database)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.cassandra_node import common, config, cql, jars, java, layout, process

SCRIPT = Path(__file__).resolve().parents[1] / "cassandra"


@pytest.fixture
def node(tmp_path):
    return layout.Node(number=1, repo=tmp_path, native_port=9042)


def _yaml_keys(text):
    return {
        line.split(":", 1)[0]
        for line in text.splitlines()
        if line and not line.startswith((" ", "#", "-")) and ":" in line
    }


def test_yaml_has_the_single_node_settings(node):
    text = config.render_yaml(node)
    for line in [
        "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
        "num_tokens: 1",
        "listen_address: 127.0.0.1",
        "rpc_address: 127.0.0.1",
        "storage_port: 7000",
        "native_transport_port: 9042",
        "start_native_transport: true",
        "commitlog_sync: batch",
        "auto_snapshot: false",
        "disk_access_mode: standard",
        'seeds: "127.0.0.1:7000"',
    ]:
        assert line in text
    assert "endpoint_snitch: SimpleSnitch" in text
    home = str(node.home.resolve())
    for sub in ("data", "commitlog", "saved_caches", "hints", "cdc_raw"):
        assert f'"{home}/{sub}"' in text


def test_yaml_uses_only_keys_cassandra_5_accepts(node):
    # Cassandra refuses unknown keys: pre-4.0 names such as start_rpc or *_in_ms must not return.
    keys = _yaml_keys(config.render_yaml(node))
    assert not {k for k in keys if k.endswith(("_in_ms", "_in_mb", "_in_kb"))}
    assert "start_rpc" not in keys and "rpc_port" not in keys
    assert {"cluster_name", "commitlog_sync", "endpoint_snitch", "seed_provider"} <= keys


def test_other_nodes_get_their_own_address_paths_and_jmx_port(tmp_path):
    node3 = layout.Node(number=3, repo=tmp_path, native_port=9142)
    text = config.render_yaml(node3)
    assert "listen_address: 127.0.0.3" in text
    assert "native_transport_port: 9142" in text
    assert 'seeds: "127.0.0.1:7000"' in text
    assert node3.home == tmp_path / "var" / "cassandra" / "node3"
    assert node3.jmx_port != layout.Node(number=1, repo=tmp_path).jmx_port


def test_logback_writes_info_to_file_and_warn_to_console(node):
    text = config.render_logback(node)
    assert str(node.system_log.resolve()) in text
    assert "<level>WARN</level>" in text
    assert '<root level="INFO">' in text


def _fake_lib(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "jamm-0.4.0.jar").write_bytes(b"")
    return lib


def test_jvm_args_java17(node, tmp_path):
    lib = _fake_lib(tmp_path)
    args = java.build_jvm_args(Path("/usr/bin/java"), 17, lib, node, "1g")
    assert args[0] == "/usr/bin/java"
    assert args[-1] == "org.apache.cassandra.service.CassandraDaemon"
    assert args[-3:-1] == ["-cp", f"{lib.resolve()}/*"]
    assert {"-Xms1g", "-Xmx1g", "-Xss256k", "-XX:+UseG1GC"} <= set(args)
    assert f"-javaagent:{(lib / 'jamm-0.4.0.jar').resolve()}" in args
    config = next(a for a in args if a.startswith("-Dcassandra.config="))
    assert config.startswith("-Dcassandra.config=file:///")
    assert config.endswith("/var/cassandra/node1/conf/cassandra.yaml")
    for flag in [
        "-Dcassandra-foreground=yes",
        "-Dcassandra.jmx.local.port=7199",
        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
        "-Djava.net.preferIPv4Stack=true",
        "-Djdk.attach.allowAttachSelf=true",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    ]:
        assert flag in args
    assert any(a.startswith("-Dlogback.configurationFile=") for a in args)
    assert "-Djava.security.manager=allow" not in args
    assert len([a for a in args if a.startswith("--add-opens=")]) == len(common.JAVA17_ADD_OPENS)


def test_jvm_args_java11_has_no_module_flags_and_java21_allows_security_manager(node, tmp_path):
    lib = _fake_lib(tmp_path)
    args11 = java.build_jvm_args(Path("java"), 11, lib, node, "512m")
    assert not [a for a in args11 if a.startswith("--add-")]
    assert "-Xmx512m" in args11
    assert "-Djava.security.manager=allow" in java.build_jvm_args(Path("java"), 21, lib, node, "1g")


def test_jvm_args_need_jamm(node, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(common.ScriptError):
        java.build_jvm_args(Path("java"), 17, empty, node, "1g")


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "11.0.2" 2019-01-15', 11),
        ('openjdk version "21" 2023-09-19', 21),
        ('openjdk version "24-ea" 2025-03-18', 24),
        ("garbage", None),
    ],
)
def test_parse_java_major(output, major):
    assert java.parse_java_major(output) == major


@pytest.mark.parametrize("major", [8, 24, 25, None])
def test_unsupported_java_is_refused_with_exit_2(major):
    with pytest.raises(common.ScriptError) as info:
        java.check_java_major(major, Path("/x/java"))
    assert info.value.code == common.EXIT_ENV


@pytest.mark.parametrize("major", [11, 17])
def test_supported_java_passes(major):
    java.check_java_major(major, Path("/x/java"))


def test_half_finished_download_is_not_trusted(tmp_path):
    cache = layout.Cache(tmp_path, "5.0.8")
    cache.lib.mkdir(parents=True)
    (cache.lib / "cassandra-all-5.0.8.jar").write_bytes(b"")
    (cache.lib / "jamm-0.4.0.jar").write_bytes(b"")
    assert not cache.is_complete()  # no marker: mvn was interrupted
    cache.marker.write_text("done\n")
    assert cache.is_complete()
    (cache.lib / "cassandra-all-5.0.8.jar").unlink()
    assert not cache.is_complete()  # marker but jars gone


def test_missing_mvn_is_one_clear_line_with_exit_2(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(common.ScriptError) as info:
        jars.ensure_jars(layout.Cache(tmp_path, "5.0.8"))
    assert info.value.code == common.EXIT_ENV
    assert "CASSANDRA_HOSTS" in str(info.value) and "docker compose up" in str(info.value)


def test_missing_java_is_one_clear_line_with_exit_2(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(common.ScriptError) as info:
        java.find_java()
    assert info.value.code == common.EXIT_ENV
    assert "CASSANDRA_HOSTS" in str(info.value)


def test_harmless_mvn_lines():
    assert jars.is_harmless_mvn_line("[ERROR] 'dependencies.dependency.systemPath' ${jmc5.path}/x")
    assert not jars.is_harmless_mvn_line("[ERROR] Could not find artifact org.apache.cassandra")


def test_stale_pid_file_of_a_dead_process_is_removed(node):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    node.home.mkdir(parents=True)
    node.pid_file.write_text(f"{proc.pid}\n")
    assert process.live_pid(node) is None
    assert not node.pid_file.exists()


def test_pid_file_of_an_unrelated_live_process_is_removed(node):
    node.home.mkdir(parents=True)
    node.pid_file.write_text(f"{os.getpid()}\n")  # alive, but not a CassandraDaemon
    assert process.live_pid(node) is None
    assert not node.pid_file.exists()


def test_garbage_pid_file_is_removed(node):
    node.home.mkdir(parents=True)
    node.pid_file.write_text("not a pid\n")
    assert process.live_pid(node) is None
    assert not node.pid_file.exists()


def test_no_pid_file_means_not_running(node):
    assert process.live_pid(node) is None


def test_external_hosts(node, monkeypatch):
    monkeypatch.delenv("CASSANDRA_HOSTS", raising=False)
    assert layout.external_hosts(node) is None
    monkeypatch.setenv("CASSANDRA_HOSTS", "127.0.0.1")
    assert layout.external_hosts(node) is None
    monkeypatch.setenv("CASSANDRA_HOSTS", "db1, db2")
    assert layout.external_hosts(node) == ["db1", "db2"]


def test_env_int_rejects_garbage(monkeypatch):
    monkeypatch.setenv("CASSANDRA_PORT", "x")
    with pytest.raises(common.ScriptError):
        common.env_int("CASSANDRA_PORT", 9042)
    monkeypatch.setenv("CASSANDRA_PORT", "9142")
    assert common.env_int("CASSANDRA_PORT", 9042) == 9142


def test_format_rows():
    text = cql.format_rows(["column_name", "type"], [("id", "int"), ("v", None)])
    assert text.splitlines()[0] == "column_name | type"
    assert "v           | null" in text
    assert text.endswith("(2 rows)")
    assert cql.format_rows([], []) == "OK"
    assert (
        cql.format_rows(["create_statement"], [("CREATE TABLE t (...)",)]) == "CREATE TABLE t (...)"
    )


def test_tail_shows_only_what_was_written_since(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("old 1\nold 2\n")
    since = log.stat().st_size
    with log.open("a") as handle:
        handle.write("new 1\nnew 2\n")
    assert process.tail(log, 30, since) == ["new 1", "new 2"]
    assert process.tail(log, 1) == ["new 2"]
    assert process.tail(tmp_path / "missing.log") == []


def test_a_cluster_of_its_own_never_joins_the_development_node(tmp_path):
    faults = layout.Cluster("faults", 20)
    nodes = [layout.Node(number=n, repo=tmp_path, cluster=faults) for n in (1, 2, 3)]
    assert [n.address for n in nodes] == ["127.0.0.21", "127.0.0.22", "127.0.0.23"]
    text = config.render_yaml(nodes[2])
    assert 'cluster_name: "mnistsite-faults"' in text
    assert "listen_address: 127.0.0.23" in text
    assert 'seeds: "127.0.0.21:7000"' in text
    assert "auto_bootstrap: false" in text
    assert nodes[0].home == tmp_path / "var" / "cassandra" / "faults" / "node1"
    dev_ports = {layout.Node(number=n, repo=tmp_path).jmx_port for n in range(1, 10)}
    assert not dev_ports & {n.jmx_port for n in nodes}
    assert nodes[0].label == "faults/node1"


def test_a_cluster_may_keep_its_nodes_elsewhere(tmp_path):
    node = layout.Node(number=2, repo=tmp_path, cluster=layout.Cluster("x", 30, tmp_path / "c"))
    assert node.home == tmp_path / "c" / "node2"
    assert node.address == "127.0.0.32"


@pytest.mark.parametrize(("name", "offset"), [("faults", 0), ("Bad Name", 20), ("x", 250)])
def test_a_cluster_that_would_collide_is_refused(name, offset):
    with pytest.raises(common.ScriptError):
        layout.Cluster(name, offset)


def test_a_cluster_of_its_own_ignores_cassandra_hosts(tmp_path, monkeypatch):
    monkeypatch.setenv("CASSANDRA_HOSTS", "db1,db2")
    node = layout.Node(number=1, repo=tmp_path, cluster=layout.Cluster("faults", 20))
    assert layout.external_hosts(node) is None


@pytest.mark.parametrize(
    ("mode", "line"),
    [
        ("", "commitlog_sync: batch"),
        ("group", "commitlog_sync_group_window: 15ms"),
        ("periodic", "commitlog_sync_period: 1000ms"),
    ],
)
def test_the_commit_log_mode_is_batch_unless_asked(node, monkeypatch, mode, line):
    monkeypatch.setenv("CASSANDRA_COMMITLOG_SYNC", mode)
    assert line in config.render_yaml(node)


def test_an_unknown_commit_log_mode_is_refused(node, monkeypatch):
    monkeypatch.setenv("CASSANDRA_COMMITLOG_SYNC", "never")
    with pytest.raises(common.ScriptError):
        config.render_yaml(node)


def test_the_commit_log_is_written_with_direct_io_where_the_disk_takes_it(node, monkeypatch):
    monkeypatch.delenv("CASSANDRA_COMMITLOG_ACCESS", raising=False)
    (node.home / "commitlog").mkdir(parents=True)
    monkeypatch.setattr(config, "takes_direct_io", lambda directory: True)
    assert "commitlog_disk_access_mode: direct" in config.render_yaml(node)
    monkeypatch.setattr(config, "takes_direct_io", lambda directory: False)
    assert "commitlog_disk_access_mode: legacy" in config.render_yaml(node)


@pytest.mark.parametrize("mode", ["direct", "legacy"])
def test_the_commit_log_access_can_be_chosen_to_measure_it(node, monkeypatch, mode):
    monkeypatch.setenv("CASSANDRA_COMMITLOG_ACCESS", mode)
    monkeypatch.setattr(config, "takes_direct_io", lambda directory: mode != "direct")
    assert f"commitlog_disk_access_mode: {mode}" in config.render_yaml(node)


def test_an_unknown_commit_log_access_is_refused(node, monkeypatch):
    monkeypatch.setenv("CASSANDRA_COMMITLOG_ACCESS", "mmap-everything")
    with pytest.raises(common.ScriptError):
        config.render_yaml(node)


def test_the_direct_io_probe_answers_for_a_real_directory_and_leaves_nothing(tmp_path):
    # ext4 and xfs take O_DIRECT, older tmpfs does not; either way the probe file is gone.
    assert isinstance(config.takes_direct_io(tmp_path), bool)
    assert list(tmp_path.iterdir()) == []
    assert config.takes_direct_io(tmp_path / "missing") is False


def test_the_script_runs_as_a_file_and_shows_its_options():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, check=True
    )
    assert "--cluster" in result.stdout


def test_a_port_left_in_time_wait_by_a_killed_node_is_free_to_listen_on():
    import socket

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Cassandra's sockets
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its port is left in TIME_WAIT
    server.close()
    client.close()
    assert process.port_is_free("127.0.0.1", port)
    listening = socket.socket()
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", port))
    listening.listen()
    try:
        assert not process.port_is_free("127.0.0.1", port)
    finally:
        listening.close()
