"""Pages and health checks. The JSON API lives in ``api.py``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from recognizer.db import CASSANDRA_ERRORS, cassandra_ping
from recognizer.inference import ModelUnavailable, get_recognizer


@login_required
@require_GET
def canvas(request: HttpRequest) -> HttpResponse:
    return render(request, "recognizer/canvas.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Says nothing about Cassandra or the model."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the model is loaded and Cassandra answers."""
    checks: dict[str, str] = {}
    ready = True
    try:
        checks["model"] = f"ok ({get_recognizer().model_version[:12]})"
    except ModelUnavailable as exc:
        checks["model"] = str(exc)
        ready = False
    try:
        checks["cassandra"] = f"ok (Cassandra {cassandra_ping()})"
    except CASSANDRA_ERRORS as exc:
        checks["cassandra"] = f"unreachable: {exc}"
        ready = False
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )
