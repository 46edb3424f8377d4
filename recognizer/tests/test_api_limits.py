"""Rate limit, CSRF-checked browser uploads, and the OpenAPI document with its docs page."""

import io
import json
import re
import time

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import caches
from django.test import Client
from django.urls import URLPattern, get_resolver
from openapi_spec_validator import validate

from recognizer.db import cassandra_keyspace, cassandra_session
from recognizer.tokens import api_token_create

pytestmark = pytest.mark.django_db(databases=["default", "cassandra"])


def rows_of(user) -> int:
    return len(
        list(
            cassandra_session().execute(
                f"SELECT id FROM {cassandra_keyspace()}.mnist1 WHERE user_id = %s ALLOW FILTERING",
                (user.pk,),
            )
        )
    )


def test_a_hundred_quick_predictions_by_a_plain_user_hit_the_limit(user, token, one_png):
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    answers = [client.post("/api/v1/predict", {"image": io.BytesIO(one_png)}) for _ in range(100)]

    statuses = [answer.status_code for answer in answers]
    assert statuses == [200] * 60 + [429] * 40
    for refused in answers[60:]:
        assert int(refused["Retry-After"]) >= 1
        assert "Too many predictions" in refused.json()["error"]
    # Nothing stored for the refused ones.
    assert rows_of(user) == 60


def test_the_limit_comes_from_the_environment_setting_and_spares_staff(
    settings, django_user_model, one_png
):
    settings.MNIST_PREDICT_RATE = "2/m"
    plain = django_user_model.objects.create_user(username="plain", password="x-long-pass-1")
    staff = django_user_model.objects.create_user(
        username="staff", password="x-long-pass-2", is_staff=True
    )
    for user, expected in ((plain, [200, 200, 429, 429]), (staff, [200, 200, 200, 200])):
        client = Client(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)}")
        statuses = [
            client.post("/api/v1/predict", {"image": io.BytesIO(one_png)}).status_code
            for _ in range(4)
        ]
        assert statuses == expected, user


def test_the_limit_holds_while_hundreds_of_other_users_predict(settings, user, token, one_png):
    """The counts live in a database cache table, which Django culls by key order once it
    holds more than MAX_ENTRIES rows (300 by default): with more users active in one window
    than that, a user's history could vanish and the limit with it."""
    settings.MNIST_PREDICT_RATE = "2/m"
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    first = [client.post("/api/v1/predict", {"image": io.BytesIO(one_png)}) for _ in range(2)]
    assert [answer.status_code for answer in first] == [200, 200]

    # 1,000 other users' histories arrive in the same minute (keys sorting after this user's).
    throttle = caches["throttle"]
    now = time.time()
    for other in range(90_000, 91_000):
        throttle.set(f"throttle_predict_{other}", [now], 60)

    third = client.post("/api/v1/predict", {"image": io.BytesIO(one_png)})
    assert third.status_code == 429, third.content
    assert rows_of(user) == 2


def test_a_session_uploads_a_file_with_csrf_enforced(user, one_png):
    """Issue 8's bug: the CSRF check read the multipart form, then the view read
    request.body and got RawPostDataException (an HTML 500)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")
    upload = io.BytesIO(one_png)
    upload.name = "one.png"

    response = client.post(
        "/api/v1/predict",
        {"image": upload},
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )

    assert response.status_code == 200, response.content
    assert response.json()["digit"] == 1


def test_a_session_upload_without_csrf_is_403_json(user, one_png):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/predict", {"image": io.BytesIO(one_png)})
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]


def test_an_oversized_upload_is_refused_before_the_csrf_check_reads_it(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/predict", {"image": io.BytesIO(b"x" * (3 * 1024 * 1024))})
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]


# --- OpenAPI -----------------------------------------------------------------------------------


def api_routes() -> set[tuple[str, str]]:
    """(path, method) of every API operation Django routes, from the URLconf itself."""
    routes = set()
    for pattern in get_resolver().url_patterns:
        if not str(pattern.pattern).startswith("api/v1/"):
            continue
        for inner in pattern.url_patterns:
            assert isinstance(inner, URLPattern)
            route = "/" + str(pattern.pattern) + str(inner.pattern)
            if route.endswith(("openapi.json", "docs")) or route == "/api/v1/":
                continue
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
            for method in methods_of(inner):
                routes.add((path, method))
    return routes


def methods_of(pattern: URLPattern) -> set[str]:
    """Ask the route itself: every method but its own answers 405 with Allow."""
    some_id = "00000000-0000-0000-0000-000000000000"
    url = "/api/v1/" + re.sub(r"<(?:\w+:)?\w+>", some_id, str(pattern.pattern))
    response = Client().options(url)
    return {method.strip().lower() for method in response["Allow"].split(",")}


def no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    # A dict would silently keep the last of two equal keys; Swagger UI refuses them.
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), keys
    return dict(pairs)


def test_the_openapi_document_is_valid_and_matches_every_route():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.content, object_pairs_hook=no_duplicate_keys)

    validate(spec)

    assert spec["openapi"].startswith("3.")
    documented = {
        (path, method) for path, operations in spec["paths"].items() for method in operations
    }
    assert documented == api_routes()
    for operations in spec["paths"].values():
        for operation in operations.values():
            assert {"TokenAuth", "SessionAuth"} <= {
                name for requirement in operation["security"] for name in requirement
            }


def test_the_docs_page_serves_swagger_from_this_site(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    # Shipped inside the ninja package and served as this site's own static file.
    assert finders.find("ninja/swagger-ui-bundle.js")
    assert finders.find("ninja/swagger-ui-init.js")
