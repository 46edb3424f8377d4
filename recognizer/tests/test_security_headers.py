"""What every response says about itself: CSP, Permissions-Policy, and HTTPS in production."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_canvas_page_sends_a_strict_csp_and_a_permissions_policy(session_client):
    response = session_client.get("/")
    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


def test_plain_http_is_redirected_in_production_but_probes_are_not(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # a new client builds its middleware from the settings above
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz").status_code == 200


def test_hsts_is_sent_over_https(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = Client().get("/healthz", secure=True)
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
