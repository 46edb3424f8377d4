"""Account pages in the site's look: sign-up, log-out, the account page with its API key,
and password change and reset (Django's views with the forms above)."""

from __future__ import annotations

from datetime import timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.timesince import timesince
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
    return _account_page(request)


def _account_page(request: HttpRequest, *, status: int = 200, **context) -> HttpResponse:
    token = ApiToken.objects.filter(user=request.user).first()
    context.setdefault("email_form", EmailForm(request.user))
    context["last_used"] = _ago(token.last_used) if token and token.last_used else None
    return render(request, "accounts/account.html", {"token": token, **context}, status=status)


def _ago(moment) -> str:
    if timezone.now() - moment < timedelta(minutes=1):
        return "less than a minute ago"
    return f"{timesince(moment)} ago"


# Wrong passwords on the e-mail form, per user: the form asks for the password so that a
# borrowed session cannot take the account through a reset, so it must not be a free oracle.
EMAIL_WRONG_PASSWORDS = "5/h"


def _email_wrong_passwords(request: HttpRequest, *, count: bool) -> dict | None:
    return get_usage(
        request, group="account-email", key="user", rate=EMAIL_WRONG_PASSWORDS, increment=count
    )


@login_required
@require_POST
def email(request: HttpRequest) -> HttpResponse:
    usage = _email_wrong_passwords(request, count=False)
    if usage and usage["count"] >= usage["limit"]:
        minutes = max(1, round(usage["time_left"] / 60))
        messages.error(request, f"Too many wrong passwords: try again in {minutes} minutes.")
        response = _account_page(request, status=429)
        response["Retry-After"] = str(usage["time_left"])
        return response
    form = EmailForm(request.user, request.POST)
    if not form.is_valid():
        if "password" in form.errors:
            _email_wrong_passwords(request, count=True)
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
        # password?": the wrong guesses that paused this login are forgotten, from every
        # address (a guesser elsewhere starts again, against a password it has not seen).
        axes_reset(username=form.user.get_username())
        return response


password_reset_confirm = _PasswordResetConfirm.as_view()
