"""Reading settings from the environment.

django-environ reads the local ``.env`` file (the environment wins over it) and turns
URLs into cache and e-mail settings. The helpers below add what it lacks: a boolean
that refuses a typo instead of reading it as False, whole numbers with a range, lists
that forgive spaces, secrets from files, and the Cassandra replication map. Each raises
``ImproperlyConfigured`` naming the variable, so a typo in a deployment fails at
start-up with one clear line instead of somewhere later.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def read_env_file(path: str | Path | None) -> None:
    """Load ``KEY=value`` lines from ``path`` into the environment, never over a
    variable that is already set. A missing file is fine: a deployment has none."""
    if path and Path(path).is_file():
        environ.Env.read_env(str(path), overwrite=False)


def envbool(name: str, default: bool) -> bool:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def envint(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = env.str(name, default="")
    if raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise ImproperlyConfigured(f"{name} must be at least {minimum}{upper}, not {value}.")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = env.str(name, default="")
    if raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def envstr(name: str, default: str) -> str:
    raw = env.str(name, default="")
    return default if raw.strip() == "" else raw.strip()


def envsecret(name: str) -> str:
    """``name``'s value, or the contents of the file that ``name``_FILE points at (a Docker
    secret, as healthchecks' ``envsecret`` reads it). Empty when neither is set."""
    path = env.str(f"{name}_FILE", default="").strip()
    if not path:
        return envstr(name, "")
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc.strerror}.") from None
    if not value:
        raise ImproperlyConfigured(f"{name}_FILE: {path} is empty.")
    return value


_RATE = re.compile(r"^(\d+)/(s|m|h)$")


def envrate(name: str, default: str) -> str:
    """A rate such as ``60/m`` (per ``s``econd, ``m``inute or ``h``our), at least 1."""
    raw = envstr(name, default)
    match = _RATE.match(raw)
    if match is None or int(match.group(1)) < 1:
        raise ImproperlyConfigured(f"{name} must look like 60/m (N per s, m or h), not {raw!r}.")
    return raw


def cassandra_replication(name: str, default: dict[str, Any]) -> dict[str, Any]:
    """Read a CQL replication map (``{"class": ..., ...}``) and return it in the
    form django-cassandra-engine's ``sync_cassandra`` expects
    (``strategy_class`` plus ``replication_factor`` or per-datacenter factors).
    """
    raw = env.str(name, default="")
    if raw.strip() == "":
        replication = dict(default)
    else:
        try:
            replication = env.json(name)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name} must be a JSON object: {exc}.") from None
        if not isinstance(replication, dict):
            raise ImproperlyConfigured(f"{name} must be a JSON object, not {raw!r}.")

    strategy = str(replication.pop("class", "SimpleStrategy")).rsplit(".", 1)[-1]
    factors: dict[str, int] = {}
    for key, value in replication.items():
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ImproperlyConfigured(f"{name}: {key} must be a whole number of replicas.")
        try:
            factors[key] = int(value)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {key} must be a whole number of replicas."
            ) from None
        if factors[key] < 1:
            raise ImproperlyConfigured(f"{name}: {key} must be at least 1.")

    if strategy == "SimpleStrategy":
        if set(factors) - {"replication_factor"}:
            raise ImproperlyConfigured(
                f"{name}: SimpleStrategy takes only replication_factor, not {sorted(factors)}."
            )
        return {
            "strategy_class": "SimpleStrategy",
            "replication_factor": factors.get("replication_factor", 1),
        }
    if strategy == "NetworkTopologyStrategy":
        if not factors or "replication_factor" in factors:
            raise ImproperlyConfigured(
                f"{name}: NetworkTopologyStrategy needs a replica count per datacenter, "
                'e.g. {"class": "NetworkTopologyStrategy", "datacenter1": 3}.'
            )
        return {"strategy_class": "NetworkTopologyStrategy", **factors}
    raise ImproperlyConfigured(
        f"{name}: class must be SimpleStrategy or NetworkTopologyStrategy, not {strategy!r}."
    )
