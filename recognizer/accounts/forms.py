"""Account forms: Django's own, with errors where a person looks for them."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.core.mail import send_mail


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


class EmailForm(forms.Form):
    """Set or remove the e-mail that password resets go to. The current password is asked
    for: whoever sets the e-mail can take the account through a reset."""

    email = forms.EmailField(
        label="E-mail",
        required=False,
        help_text="Only to reset a forgotten password. Leave it empty to remove it.",
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["email"].initial = user.email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("Your password was wrong. Type it again.")
        return password

    def save(self) -> None:
        """Keep the new address; the old one, if any, is told (so a change made through a
        borrowed session does not go unnoticed)."""
        old, new = self.user.email, self.cleaned_data["email"]
        self.user.email = new
        self.user.save(update_fields=["email"])
        if old and old != new:
            send_mail(
                "Your mnistsite e-mail was changed",
                f"The e-mail of the mnistsite account {self.user.get_username()} is now "
                f"{new or 'removed'}, no longer {old}.\n\nIf you did not change it, log in "
                "and change your password and e-mail, or ask a member of staff.",
                None,
                [old],
            )
