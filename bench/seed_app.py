"""The 2019 prototype's serving design as a small WSGI app: the load benchmark's baseline.

Served by gunicorn exactly as the site is (same worker class and count, same model file, same
Cassandra keyspace), it does per request what the seed's Flask app did: write the uploaded PNG
to disk, read it back, resize the whole canvas to 28x28, ``model.predict`` on the Keras model,
and one un-prepared INSERT into ``mnist1``. It takes the request the page sends
(``{"image": "<PNG data URL>"}``) and answers ``{"digit": N}``. No login: the seed had none.

    SEED_MODEL_PATH=... SEED_UPLOAD_DIR=... CASSANDRA_KEYSPACE=... gunicorn bench.seed_app

The model and the Cassandra session are made when a worker imports this module (gunicorn
without ``--preload`` imports it after the fork), as the seed did at start-up.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np
from cassandra.cluster import Cluster

from bench.drawn_digits import seed_preprocess

_model = keras.models.load_model(os.environ["SEED_MODEL_PATH"], compile=False)
_cluster = Cluster(
    os.environ.get("CASSANDRA_HOSTS", "127.0.0.1").split(","),
    port=int(os.environ.get("CASSANDRA_PORT", "9042")),
)
_session = _cluster.connect(os.environ["CASSANDRA_KEYSPACE"])
_uploads = Path(os.environ["SEED_UPLOAD_DIR"])
_uploads.mkdir(parents=True, exist_ok=True)


def _answer(start_response, status: str, payload: dict) -> list[bytes]:
    body = json.dumps(payload).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]


def application(environ, start_response):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = json.loads(environ["wsgi.input"].read(length))
        png = base64.b64decode(payload["image"].partition(",")[2])
    except (ValueError, KeyError, TypeError):
        return _answer(start_response, "400 Bad Request", {"error": "bad request"})
    path = _uploads / f"{uuid.uuid4()}.png"
    path.write_bytes(png)
    image = seed_preprocess(path.read_bytes()).reshape(1, 28, 28, 1)
    digit = int(np.argmax(_model.predict(image, verbose=0)))
    # A plain string statement, formatted by the driver on every call: never prepared.
    _session.execute(
        "INSERT INTO mnist1 (id, digits, upload_time) VALUES (%s, %s, %s)",
        (uuid.uuid4(), f"[{digit}]", datetime.now(UTC)),
    )
    return _answer(start_response, "200 OK", {"digit": digit})
