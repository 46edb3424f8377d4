"""Pages and health checks. The JSON API lives in ``api.py``."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from recognizer.db import CASSANDRA_ERRORS, cassandra_ping
from recognizer.inference import ModelUnavailable, get_recognizer
from recognizer.records.outbox import OutboxError, outbox_status


@login_required
@require_GET
def canvas(request: HttpRequest) -> HttpResponse:
    return render(request, "recognizer/canvas.html")


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("recognizer:canvas")
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect("recognizer:canvas")
    return render(request, "registration/signup.html", {"form": form})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Says nothing about Cassandra or the model."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: can this instance answer predictions and keep every record?

    200 "ok": the model is loaded and Cassandra answers, nothing waits in the outbox.
    200 "degraded": Cassandra is unreachable or records wait in the outbox, but the
    outbox takes them, so answers still go out and nothing is lost.
    503 "unavailable": no model, or neither Cassandra nor the outbox could keep a record.
    """
    body: dict[str, object] = {}
    model_ok = cassandra_ok = outbox_ok = True
    try:
        body["model"] = f"ok ({get_recognizer().model_version[:12]})"
    except ModelUnavailable as exc:
        body["model"] = str(exc)
        model_ok = False
    try:
        body["cassandra"] = f"ok (Cassandra {cassandra_ping()})"
    except CASSANDRA_ERRORS as exc:
        body["cassandra"] = f"unreachable: {exc}"
        cassandra_ok = False
    try:
        status = outbox_status()
        body["outbox"] = {
            "pending": status.pending,
            "oldest_pending_seconds": (
                None if status.oldest_age is None else round(status.oldest_age, 1)
            ),
            "failed": status.failed,
        }
        backlog = status.pending > 0
    except OutboxError as exc:
        body["outbox"] = {"error": str(exc)}
        outbox_ok = backlog = False
    if not model_ok or not (cassandra_ok or outbox_ok):
        state, code = "unavailable", 503
    elif not cassandra_ok or not outbox_ok or backlog:
        state, code = "degraded", 200
    else:
        state, code = "ok", 200
    return JsonResponse({"status": state, **body}, status=code)
