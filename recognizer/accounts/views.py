"""Account pages in the site's look: sign-up, log-out, the account page with its API key,
and password change and reset (Django's views with the forms above)."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import get_usage

from recognizer.accounts.forms import (
    EmailForm,
    PasswordChangeForm,
    SetPasswordForm,
    SignupForm,
)
from recognizer.models import ApiToken
from recognizer.tokens import api_token_create, api_token_revoke


def _signup_usage(request: HttpRequest, *, count: bool) -> dict | None:
    """Accounts made from this address within the rate's window; ``count`` adds one."""
    return get_usage(request, group="signup", key="ip", rate=settings.SIGNUP_RATE, increment=count)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("recognizer:canvas")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        usage = _signup_usage(request, count=False)
        if usage and usage["count"] >= usage["limit"]:
            response = render(
                request,
                "registration/too_many_signups.html",
                {"minutes": max(1, round(usage["time_left"] / 60))},
                status=429,
            )
            response["Retry-After"] = str(usage["time_left"])
            return response
        if form.is_valid():
            user = form.save()
            # Only accounts made count: someone fighting the password rules is not refused.
            _signup_usage(request, count=True)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("recognizer:canvas")
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out by POST (a link cannot log anyone out); a GET asks to confirm."""
    if request.method == "POST":
        was_in = request.user.is_authenticated
        logout(request)
        if was_in:
            messages.success(request, "You have been logged out.")
        return redirect(settings.LOGOUT_REDIRECT_URL)
    return render(request, "registration/logout.html")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request, email_form=EmailForm(request.user))


def _account_page(request: HttpRequest, *, status: int = 200, **context) -> HttpResponse:
    token = ApiToken.objects.filter(user=request.user).first()
    context.setdefault("email_form", EmailForm(request.user))
    return render(request, "accounts/account.html", {"token": token, **context}, status=status)


@login_required
@require_POST
def email(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.user, request.POST)
    if not form.is_valid():
        return _account_page(request, email_form=form, status=400)
    form.save()
    messages.success(
        request,
        "Your e-mail is saved." if form.cleaned_data["email"] else "Your e-mail is removed.",
    )
    return redirect("account")


@login_required
@require_POST
def api_key(request: HttpRequest) -> HttpResponse:
    """Make (or replace) the user's API key and show it, once; or revoke it."""
    if request.POST.get("action") == "revoke":
        if api_token_revoke(user=request.user):
            messages.success(request, "Your API key is revoked: scripts using it are refused.")
        return redirect("account")
    key = api_token_create(user=request.user)
    # Rendered, not redirected: the key must not wait in a session or a URL.
    response = _account_page(request, new_key=key)
    response["Cache-Control"] = "no-store"
    return response


password_change = auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm)


class _PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm

    def form_valid(self, form):
        response = super().form_valid(form)
        # The mailed link proves the account is theirs, and the login pause says "Forgot
        # password?": the wrong guesses that paused this login are forgotten.
        axes_reset(username=form.user.get_username())
        return response


password_reset_confirm = _PasswordResetConfirm.as_view()
