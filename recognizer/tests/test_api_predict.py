"""POST /api/v1/predict with the real model and the real Cassandra node."""

import base64
import io
import json
import uuid

import pytest
from django.test import Client
from PIL import Image

from recognizer.db import cassandra_keyspace, cassandra_session
from recognizer.records.tables import Prediction
from recognizer.tests.images import png_declaring

pytestmark = pytest.mark.django_db(databases=["default", "cassandra"])

URL = "/api/v1/predict"


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def rows_of(user) -> list[dict]:
    return list(
        cassandra_session().execute(
            f"SELECT * FROM {cassandra_keyspace()}.mnist1 WHERE user_id = %s ALLOW FILTERING",
            (user.pk,),
        )
    )


def post_json(client: Client, payload, **extra):
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **extra)


def test_it_recognises_a_drawing_and_stores_it(session_client, user, one_png):
    response = post_json(session_client, {"image": data_url(one_png)})

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["digit"] == 1
    assert answer["stored"] is True
    assert answer["queued"] is False
    assert len(answer["probabilities"]) == 10
    assert sum(answer["probabilities"]) == pytest.approx(1, abs=1e-3)
    assert answer["confidence"] == max(answer["probabilities"])
    assert answer["upload_time"].endswith("Z")
    assert answer["image"].startswith("data:image/png;base64,")
    assert Image.open(io.BytesIO(base64.b64decode(answer["image"].split(",")[1]))).size == (28, 28)

    [row] = rows_of(user)
    assert str(row["id"]) == answer["id"]
    assert row["digits"] == "1"
    assert row["username"] == "ada"
    assert row["source"] == "page"
    assert row["model_version"] == answer["model_version"]
    assert row["upload_time"].isoformat(timespec="milliseconds") + "Z" == answer["upload_time"]
    assert row["probabilities"] == pytest.approx(answer["probabilities"], abs=1e-6)


def test_a_token_works_without_csrf(user, token, one_png):
    client = Client(enforce_csrf_checks=True)
    response = post_json(client, {"image": data_url(one_png)}, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200, response.content
    assert rows_of(user)[0]["source"] == "api"


def test_a_multipart_upload_is_an_upload(user, token, one_png):
    client = Client()
    upload = io.BytesIO(one_png)
    upload.name = "one.png"
    response = client.post(URL, {"image": upload}, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200, response.content
    assert response.json()["digit"] == 1
    assert rows_of(user)[0]["source"] == "upload"


def test_a_retry_with_the_same_id_leaves_one_row(session_client, user, one_png):
    client_id = str(uuid.uuid4())
    first = post_json(session_client, {"image": data_url(one_png), "id": client_id})
    again = post_json(session_client, {"image": data_url(one_png), "id": client_id})

    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert [str(row["id"]) for row in rows_of(user)] == [first.json()["id"]]
    # Predicting the same drawing again keeps the time of its first save.
    assert again.json()["upload_time"] == first.json()["upload_time"]


def test_predicting_a_changed_drawing_again_drops_the_feedback_on_its_earlier_answer(
    session_client, user, one_png
):
    client_id = str(uuid.uuid4())
    first = post_json(session_client, {"image": data_url(one_png), "id": client_id}).json()
    feedback = f"/api/v1/predictions/{first['id']}/feedback"
    response = session_client.post(
        feedback, data=json.dumps({"label": 7}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    # The person draws on (the page sends the same id) and predicts again.
    again = post_json(session_client, {"image": data_url(one_png), "id": client_id}).json()

    assert again["corrected_label"] is None
    stored = session_client.get(f"/api/v1/predictions/{first['id']}").json()
    assert stored["corrected_label"] is None
    ks, session = cassandra_keyspace(), cassandra_session()
    for table in ("mnist1", "predictions_by_user", "predictions_by_day"):
        rows = session.execute(
            f"SELECT corrected_label, corrected_at FROM {ks}.{table} WHERE id = %s ALLOW FILTERING",
            (uuid.UUID(first["id"]),),
        ).all()
        assert [(r["corrected_label"], r["corrected_at"]) for r in rows] == [(None, None)], table


def test_the_same_client_id_from_two_users_never_touches_the_other_row(
    session_client, user, django_user_model, one_png
):
    other = django_user_model.objects.create_user(username="bob", password="a-long-password-2")
    other_client = Client()
    other_client.force_login(other)
    client_id = str(uuid.uuid4())
    bobs = post_json(other_client, {"image": data_url(one_png), "id": client_id}).json()
    adas = post_json(session_client, {"image": data_url(one_png), "id": client_id}).json()

    assert bobs["id"] != adas["id"]
    assert Prediction.objects.get(id=bobs["id"]).username == "bob"
    assert Prediction.objects.get(id=adas["id"]).username == "ada"


# --- Bad input: a clear JSON error with the right status, and nothing stored ----------


def animated_png() -> bytes:
    frames = [Image.new("RGBA", (50, 50), (0, 0, 0, a)) for a in (0, 255)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (50, 50), 255).save(buffer, format="GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"image": "not base64 at all!"}, 400, "base64"),
        ({"image": base64.b64encode(b"plain text, not a picture").decode()}, 400, "image"),
        ({"image": 7}, 400, ""),
        ({"picture": "x"}, 400, "image"),
        ({"image": data_url(png_declaring(100_000, 100_000))}, 413, "100000x100000"),
        ({"image": data_url(animated_png())}, 415, "nimated"),
        ({"image": data_url(gif())}, 415, "GIF"),
        ({"image": "data:text/plain;base64,aGVsbG8="}, 415, "text/plain"),
        ({"image": data_url(b"")}, 400, ""),
    ],
)
def test_bad_json_input(session_client, user, body, status, message):
    response = post_json(session_client, body)
    assert response.status_code == status, response.content
    assert message in response.json()["error"]
    assert rows_of(user) == []


def test_a_client_id_must_be_a_uuid(session_client, user, one_png):
    response = post_json(session_client, {"image": data_url(one_png), "id": "not-a-uuid"})
    assert response.status_code == 400
    assert response.json() == {"error": "`id` must be a UUID."}
    assert rows_of(user) == []


def test_a_truncated_png_is_invalid(session_client, user, one_png):
    response = post_json(session_client, {"image": data_url(one_png[: len(one_png) // 2])})
    assert response.status_code == 400
    assert "error" in response.json()
    assert rows_of(user) == []


def test_a_blank_canvas_is_nothing_drawn(session_client, user, blank_png):
    response = post_json(session_client, {"image": data_url(blank_png)})
    assert response.status_code == 422
    assert "draw" in response.json()["error"].lower()
    assert rows_of(user) == []


def test_an_empty_body(session_client, user):
    response = session_client.post(URL, data=b"", content_type="application/json")
    assert response.status_code == 400
    assert rows_of(user) == []


def test_invalid_json(session_client, user):
    response = session_client.post(URL, data=b"{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "The body is not valid JSON."


def test_a_body_over_the_cap_is_refused_before_reading(session_client, user):
    big = b"x" * (3 * 1024 * 1024)
    response = session_client.post(URL, data=big, content_type="application/json")
    assert response.status_code == 413
    assert rows_of(user) == []


def test_a_wrong_content_type(session_client, user, one_png):
    response = session_client.post(URL, data=one_png, content_type="text/plain")
    assert response.status_code == 415
    assert rows_of(user) == []


def test_a_multipart_without_the_image_field(session_client, user):
    response = session_client.post(URL, {"picture": io.BytesIO(b"x")})
    assert response.status_code == 400
    assert "`image`" in response.json()["error"]


def test_a_multipart_with_random_bytes(session_client, user):
    upload = io.BytesIO(bytes(range(256)) * 4)
    upload.name = "noise.png"
    response = session_client.post(URL, {"image": upload})
    assert response.status_code == 400
    assert rows_of(user) == []


def test_no_login_is_401_json_not_a_redirect(one_png):
    response = post_json(Client(), {"image": data_url(one_png)})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert "Log in" in response.json()["error"]


def test_a_bad_token_is_401(one_png):
    response = post_json(Client(), {"image": data_url(one_png)}, HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid API token."}


def test_a_good_key_under_another_scheme_is_401_naming_the_scheme(token, one_png):
    response = post_json(
        Client(), {"image": data_url(one_png)}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 401
    assert response.json() == {"error": "Send the API key as 'Authorization: Token <key>'."}


def test_a_session_without_csrf_is_403_json(user, one_png):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = post_json(client, {"image": data_url(one_png)})
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]
    assert rows_of(user) == []


def test_a_session_with_csrf_passes(user, one_png):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")  # sets the csrftoken cookie, as the page does
    token = client.cookies["csrftoken"].value
    response = post_json(client, {"image": data_url(one_png)}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content


def test_get_is_405(session_client):
    response = session_client.get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "error" in response.json()


def test_without_a_model_the_answer_is_503_and_names_the_fix(
    session_client, user, one_png, settings, tmp_path
):
    settings.MNIST_MODEL_PATH = tmp_path / "missing.keras"
    response = post_json(session_client, {"image": data_url(one_png)})
    assert response.status_code == 503
    assert "manage.py train_mnist" in response.json()["error"]
    assert rows_of(user) == []


def test_a_multipart_image_sent_as_text_says_it_must_be_a_file(user, token):
    response = Client().post(URL, {"image": "hello"}, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 400
    assert response.json()["error"] == (
        "Send the drawing as a file in a multipart field named `image` (it came as text)."
    )
    assert rows_of(user) == []
