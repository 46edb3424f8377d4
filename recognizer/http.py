"""HTTP helpers shared by the JSON API: one error shape, one way to authenticate."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware

from recognizer.tokens import user_for_token

View = Callable[..., HttpResponse]


def json_error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class _CsrfCheck(CsrfViewMiddleware):
    """Django's own CSRF check, answering with the reason instead of its HTML page."""

    def _reject(self, request: HttpRequest, reason: str) -> str:  # type: ignore[override]
        return reason


def _csrf_failure(request: HttpRequest) -> str | None:
    """The reason Django's CSRF check rejects ``request``, or None when it passes."""
    check = _CsrfCheck(lambda _request: HttpResponse())
    check.process_request(request)
    return check.process_view(request, None, (), {})


def api_view(*, methods: tuple[str, ...]) -> Callable[[View], View]:
    """Authenticate an API request by token or by session and answer errors in JSON.

    ``Authorization: Token <key>`` needs no CSRF token (a script holds the key, not
    the browser). A session is the browser's ambient credential, so a request that
    relies on it must pass Django's CSRF check, as any other form would; the check
    runs here rather than in the middleware only so that its failure is JSON.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                return json_error(
                    405, f"Use {' or '.join(methods)} here.", Allow=", ".join(methods)
                )
            header = request.headers.get("Authorization", "")
            if header:
                scheme, _, key = header.partition(" ")
                user = user_for_token(key.strip()) if scheme.lower() == "token" else None
                if user is None:
                    return json_error(
                        401, "Invalid API token.", WWW_Authenticate='Token realm="api"'
                    )
                request.user = user
                request.auth_method = "token"
            elif request.user.is_authenticated:
                if request.method not in ("GET", "HEAD", "OPTIONS"):
                    reason = _csrf_failure(request)
                    if reason:
                        return json_error(403, f"CSRF check failed: {reason}")
                request.auth_method = "session"
            else:
                return json_error(
                    401,
                    "Log in, or send `Authorization: Token <key>` "
                    "(python manage.py api_token USERNAME prints one).",
                    WWW_Authenticate='Token realm="api"',
                )
            return view(request, *args, **kwargs)

        # Token requests carry no CSRF cookie; session requests are checked above.
        wrapper.csrf_exempt = True  # type: ignore[attr-defined]
        return wrapper

    return decorate
