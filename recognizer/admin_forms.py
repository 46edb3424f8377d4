"""The admin's query strings, validated: what to list, export and count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.http import QueryDict

from recognizer.records.admin_selectors import MAX_RANGE_DAYS, HistoryFilter
from recognizer.records.tables import SOURCES

DEFAULT_RANGE_DAYS = 30
_ANY = [("", "any")]
_DIGITS = [(str(d), str(d)) for d in range(10)]
_YES_NO = {"yes": True, "no": False}


def _today() -> date:
    return datetime.now(UTC).date()


def with_default_range(query: QueryDict) -> QueryDict:
    """The query with its date range filled in, so that the form shows the days it covers
    and the links of a page (older, export) keep the same range even after midnight."""
    data = query.copy()
    if not data.get("until"):
        data["until"] = _today().isoformat()
    if not data.get("since"):
        try:
            until = date.fromisoformat(data["until"])
        except ValueError:
            return data  # the form reports the bad "until"
        data["since"] = (until - timedelta(days=DEFAULT_RANGE_DAYS - 1)).isoformat()
    return data


class DateRangeForm(forms.Form):
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        until = cleaned.get("until") or _today()
        since = cleaned.get("since") or until - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if since > until:
            raise forms.ValidationError("The range starts after it ends.")
        if (until - since).days + 1 > MAX_RANGE_DAYS:
            raise forms.ValidationError(f"A range covers at most {MAX_RANGE_DAYS} days.")
        cleaned["since"], cleaned["until"] = since, until
        return cleaned


def _yes_no_field(label: str, *, yes: str, no: str) -> forms.TypedChoiceField:
    """A filter that is True, False or None (any), shown with these words."""
    return forms.TypedChoiceField(
        choices=_ANY + [("yes", yes), ("no", no)],
        coerce=_YES_NO.get,
        empty_value=None,
        required=False,
        label=label,
    )


class HistoryFilterForm(DateRangeForm):
    digit = forms.TypedChoiceField(
        choices=_ANY + _DIGITS, coerce=int, empty_value=None, required=False, label="Predicted"
    )
    user = forms.CharField(required=False, max_length=150, label="User")
    corrected = _yes_no_field("Feedback", yes="corrected", no="not corrected")
    corrected_label = forms.TypedChoiceField(
        choices=_ANY + _DIGITS, coerce=int, empty_value=None, required=False, label="Corrected to"
    )
    model_version = forms.CharField(required=False, max_length=64, label="Model version")
    unsure = _yes_no_field("Confidence", yes="not sure", no="sure")
    not_a_digit = _yes_no_field("Answer", yes="not a digit", no="a digit")
    source = forms.TypedChoiceField(
        choices=_ANY + [(s, s) for s in SOURCES], empty_value=None, required=False
    )

    def clean_user(self):
        username = self.cleaned_data["user"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(f"There is no user called {username!r}.")
        return user

    def history_filter(self) -> HistoryFilter:
        data = self.cleaned_data
        user = data["user"]
        return HistoryFilter(
            since=data["since"],
            until=data["until"],
            digit=data["digit"],
            user_id=user.pk if user else None,
            username=user.get_username() if user else None,
            corrected=data["corrected"],
            corrected_label=data["corrected_label"],
            model_version=data["model_version"].strip() or None,
            unsure=data["unsure"],
            not_a_digit=data["not_a_digit"],
            source=data["source"],
        )
