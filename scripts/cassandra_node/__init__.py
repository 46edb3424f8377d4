"""A local Apache Cassandra without Docker: one node for development, or a small cluster of
its own (separate name, addresses, ports and directories) for the fault tests.

    layout   where a node lives (cluster, address, ports, directories) and the jar cache
    config   cassandra.yaml and logback.xml
    jars     Cassandra's jars from Maven Central
    java     finding Java, and the JVM command line
    process  pid files, locks, liveness, logs, ports
    cql      the driver (imported lazily), readiness probe, printing rows
    cli      the commands of scripts/cassandra
"""
