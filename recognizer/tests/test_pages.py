import pytest

from recognizer import preprocessing
from recognizer.inference import ModelUnavailable, Recognizer


def test_the_canvas_page_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_canvas_page_has_the_stable_hooks(session_client):
    html = session_client.get("/").content.decode()
    for hook in ('id="canvas"', 'id="predict"', 'id="clear"', 'id="result"'):
        assert hook in html
    assert 'data-predict-url="/api/v1/predict"' in html


@pytest.mark.django_db
def test_the_canvas_page_tells_its_script_how_much_ink_preprocessing_uses(session_client):
    html = session_client.get("/").content.decode()
    assert f'data-upload-ink="{preprocessing.UPLOAD_INK_SIDE}"' in html


@pytest.mark.django_db
def test_the_login_page_is_the_standard_form(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html


@pytest.mark.django_db
def test_signing_up_logs_in(client, django_user_model):
    response = client.post(
        "/accounts/signup/",
        {"username": "grace", "password1": "a-long-password-9", "password2": "a-long-password-9"},
    )
    assert response.status_code == 302
    assert django_user_model.objects.filter(username="grace").exists()
    assert client.get("/").status_code == 200


def test_healthz_is_liveness_only(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(databases=["default", "cassandra"])
def test_readyz_checks_the_model_and_cassandra(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["model"].startswith("ok")
    assert body["cassandra"].startswith("ok (Cassandra 5.")
    assert body["outbox"] == {"pending": 0, "oldest_pending_seconds": None, "failed": 0}


@pytest.mark.django_db(databases=["default", "cassandra"])
def test_readyz_is_degraded_but_200_while_records_wait_in_the_outbox(client):
    from recognizer.records.cql import Operation, write_time_now
    from recognizer.records.outbox import outbox_put
    from recognizer.records.tests.test_writer import a_record

    outbox_put(operation=Operation(kind="save", record=a_record(), write_time=write_time_now()))
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["outbox"]["pending"] == 1
    assert body["outbox"]["oldest_pending_seconds"] >= 0


@pytest.mark.django_db(databases=["default", "cassandra"])
def test_readyz_is_503_without_a_model(client, settings, tmp_path):
    settings.MNIST_MODEL_PATH = tmp_path / "missing.keras"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "manage.py train_mnist" in response.json()["model"]


def test_a_corrupt_model_names_its_path_and_the_fix(tmp_path):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"this is not a keras file")
    with pytest.raises(ModelUnavailable, match="broken.keras.*train_mnist"):
        Recognizer(path)


def test_a_missing_model_is_reported_by_the_system_checks(settings, tmp_path):
    from django.core.checks import run_checks

    settings.MNIST_MODEL_PATH = tmp_path / "missing.keras"
    [warning] = [m for m in run_checks() if m.id == "recognizer.W001"]
    assert str(tmp_path / "missing.keras") in warning.msg
    assert "train_mnist" in warning.hint


def test_the_shipped_model_passes_the_system_checks():
    from django.core.checks import run_checks

    assert [m for m in run_checks() if m.id == "recognizer.W001"] == []


def test_the_error_page_renders_without_a_request():
    from django.template.loader import render_to_string

    # Django renders 500.html with no context processors: nothing in it may need them.
    html = render_to_string("500.html")
    assert "Something went wrong" in html
    assert "/static/css/site" in html
