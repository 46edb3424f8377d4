"""What the API framework costs per request: django-ninja against the hand-made layer it
replaced (``recognizer/http.py``'s ``api_view`` until issue 9, kept below as the baseline).

    .venv/bin/python -m bench.api_overhead [--requests 3000]

In-process, no server and no Cassandra: SQLite in memory for the user and its token. Each
variant answers the same tiny JSON to a GET authenticated by ``Authorization: Token``, so
what differs is only the layer: routing inside the API, auth, error handling, and (for
ninja) the operation machinery and optionally a response schema and the rate limit. The
view callables are called with RequestFactory requests (no middleware, which is the same
for every variant), in interleaved rounds; the figures are medians. Writes the "API
framework overhead" section of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import wraps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mnistsite.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ["DJANGO_SQLITE_PATH"] = ":memory:"

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import AnonymousUser, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from ninja import NinjaAPI, Schema  # noqa: E402

from bench.docs import write_section  # noqa: E402
from recognizer.api import PredictionThrottle, SessionAuth, TokenAuth  # noqa: E402
from recognizer.tokens import api_token_create, user_for_token  # noqa: E402

# --- The baseline: the hand-made layer as it was (recognizer/http.py at 8bed4a9) -----------


def _json_error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def handmade_api_view(*, methods: tuple[str, ...]) -> Callable:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                return _json_error(405, "Use GET here.", Allow=", ".join(methods))
            header = request.headers.get("Authorization", "")
            if header:
                scheme, _, key = header.partition(" ")
                user = user_for_token(key.strip()) if scheme.lower() == "token" else None
                if user is None:
                    return _json_error(401, "Invalid API token.")
                request.user = user
                request.auth_method = "token"
            elif request.user.is_authenticated:
                request.auth_method = "session"
            else:
                return _json_error(401, "Log in.")
            return view(request, *args, **kwargs)

        wrapper.csrf_exempt = True  # type: ignore[attr-defined]
        return wrapper

    return decorate


@handmade_api_view(methods=("GET",))
def handmade_ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": request.user.pk, "ok": True})


# --- The same answer through ninja -----------------------------------------------------------

bench_api = NinjaAPI(urls_namespace="bench", auth=[TokenAuth(), SessionAuth()], docs_url=None)


class PingOut(Schema):
    user: int
    ok: bool


@bench_api.get("/ping", url_name="ping")
def ninja_ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": request.user.pk, "ok": True})


@bench_api.get("/ping-schema", url_name="ping-schema", response=PingOut)
def ninja_ping_schema(request: HttpRequest) -> dict:
    return {"user": request.user.pk, "ok": True}


@bench_api.get("/ping-throttled", url_name="ping-throttled", throttle=[PredictionThrottle()])
def ninja_ping_throttled(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": request.user.pk, "ok": True})


def ninja_view(name: str) -> Callable:
    patterns, _, _ = bench_api.urls
    return next(pattern.callback for pattern in patterns if getattr(pattern, "name", "") == name)


def time_calls(view: Callable, make_request: Callable[[], HttpRequest], count: int) -> list[float]:
    """Microseconds per call."""
    samples = []
    for _ in range(count):
        request = make_request()
        started = time.perf_counter()
        response = view(request)
        samples.append((time.perf_counter() - started) * 1e6)
        assert response.status_code == 200, response.content
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="calls per variant")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    user = User.objects.create_user(username="bench")  # a token, no password
    key = api_token_create(user=user)
    factory = RequestFactory()

    def make_request() -> HttpRequest:
        request = factory.get("/api/v1/ping", HTTP_AUTHORIZATION=f"Token {key}")
        request.user = AnonymousUser()
        return request

    variants = {
        "hand-made `api_view` (before)": handmade_ping,
        "ninja, view returns JsonResponse (as `recognizer/api.py` does)": ninja_view("ping"),
        "ninja, response validated by a Schema": ninja_view("ping-schema"),
        "ninja + the prediction rate limit (SQLite cache table)": ninja_view("ping-throttled"),
    }
    # A huge limit: the bench measures the throttle's bookkeeping, never a refusal.
    from django.conf import settings

    settings.MNIST_PREDICT_RATE = "100000000/h"
    per_round = max(1, args.requests // args.rounds)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for view in variants.values():  # warm-up
        time_calls(view, make_request, 50)
    for _ in range(args.rounds):
        for name, view in variants.items():
            samples[name].extend(time_calls(view, make_request, per_round))

    base = statistics.median(samples["hand-made `api_view` (before)"])
    lines = [
        "| layer | median µs / request | vs hand-made |",
        "| --- | ---: | ---: |",
    ]
    for name, values in samples.items():
        median = statistics.median(values)
        lines.append(f"| {name} | {median:.0f} | {median - base:+.0f} µs |")
    table = "\n".join(lines)
    body = f"""
`python -m bench.api_overhead --requests {args.requests} --rounds {args.rounds}`:
{per_round * args.rounds} calls per
layer in {args.rounds} interleaved rounds, in-process (RequestFactory, no middleware, SQLite
in memory), each a GET with `Authorization: Token` answering a tiny JSON. Every variant looks
the token up the same way (one SQLite query), so the differences are the layer itself.

{table}

For scale: one prediction costs about 15,000 µs of server time (docs/PERFORMANCE.md,
"Serving"), so ninja's extra cost is a fraction of a percent of it. Chosen: django-ninja
(routing, pydantic schemas, OpenAPI 3.1 with its own Swagger UI files, auth classes and
throttling in one small dependency). DRF with drf-spectacular was not measured here: it
would bring a second request/response model, serializers and a settings namespace for the
same seven routes.
"""
    print(table)
    if not args.no_write:
        path = write_section("PERFORMANCE.md", "API framework overhead", body, title="Performance")
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
