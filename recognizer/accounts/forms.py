"""Account forms: Django's own, with errors where a person looks for them."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model


class _PasswordErrorsUnderThePassword:
    """Django files a too-weak password's errors under the confirmation field; a person
    looks for them under the password they typed. A mismatch stays under the confirmation."""

    def validate_password_for_user(self, user, password_field_name="password2", **kwargs):  # noqa: S107
        first = password_field_name.replace("password2", "password1")
        super().validate_password_for_user(user, password_field_name=first, **kwargs)  # type: ignore[misc]


class SignupForm(_PasswordErrorsUnderThePassword, auth_forms.UserCreationForm):
    email = forms.EmailField(
        label="E-mail (optional)",
        required=False,
        help_text="Only to reset a forgotten password. Without one, ask staff.",
    )

    class Meta(auth_forms.UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


class PasswordChangeForm(_PasswordErrorsUnderThePassword, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(_PasswordErrorsUnderThePassword, auth_forms.SetPasswordForm):
    pass
