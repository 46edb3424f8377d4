"""The prediction history inside the admin: list, detail, statistics, CSV export, delete.

Mounted by ``admin_site.MnistAdminSite`` behind ``admin_view``, so only active staff reach
these views. Each view validates its query string, calls a selector or a service, and
renders in the admin's own templates.
"""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from recognizer.admin_charts import bar_chart, probability_bars
from recognizer.admin_forms import DateRangeForm, HistoryFilterForm, with_default_range
from recognizer.admin_services import prediction_delete, prediction_repr
from recognizer.csv_export import csv_lines
from recognizer.records.admin_selectors import (
    Cursor,
    CursorError,
    history_page,
    history_rows,
    prediction_get,
    prediction_neighbours,
    prediction_statistics,
    record_from_row,
)

CSV_COLUMNS = [
    "id",
    "upload_time",
    "user_id",
    "username",
    "digit",
    "confidence",
    "unsure",
    "not_a_digit",
    "model_version",
    "source",
    "corrected_label",
    "corrected_at",
]


def _render(request: HttpRequest, template: str, context: dict, *, status: int = 200):
    return TemplateResponse(
        request,
        template,
        {**admin.site.each_context(request), **context},
        status=status,
    )


def history(request: HttpRequest) -> HttpResponse:
    form = HistoryFilterForm(with_default_range(request.GET))
    context = {"title": "Prediction history", "form": form}
    if not form.is_valid():
        return _render(request, "admin/predictions/history.html", context, status=400)
    try:
        cursor = Cursor.parse(request.GET["after"]) if request.GET.get("after") else None
        page = history_page(filter=form.history_filter(), cursor=cursor)
    except CursorError as exc:
        context["cursor_error"] = str(exc)
        return _render(request, "admin/predictions/history.html", context, status=400)
    query = form.data.copy()
    query.pop("after", None)
    next_url = None
    if page.next_cursor:
        query["after"] = str(page.next_cursor)
        next_url = "?" + query.urlencode()
        query.pop("after")
    context.update(
        page=page,
        next_url=next_url,
        first_url="?" + query.urlencode() if cursor else None,
        export_url=reverse("admin:prediction_export") + "?" + query.urlencode(),
        filtered=page.filter.filters_rows or page.filter.user_id is not None,
    )
    return _render(request, "admin/predictions/history.html", context)


def history_csv(request: HttpRequest) -> HttpResponse:
    form = HistoryFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            "; ".join(e for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    history_filter = form.history_filter()
    lines = csv_lines(
        [*CSV_COLUMNS, *(f"p{d}" for d in range(10))],
        (
            [
                row["id"],
                row["upload_time"].isoformat(),
                "" if row["user_id"] is None else row["user_id"],
                row["username"] or "",
                row["digit"],
                f"{row['confidence']:.6f}" if row["confidence"] is not None else "",
                "1" if row["unsure"] else "0",
                "1" if row.get("not_a_digit") else "0",
                row["model_version"] or "",
                row["source"] or "",
                "" if row["corrected_label"] is None else row["corrected_label"],
                row["corrected_at"].isoformat() if row["corrected_at"] else "",
                *(f"{p:.6f}" for p in row.get("probabilities") or ()),
            ]
            for row in history_rows(filter=history_filter)
        ),
    )
    name = f"predictions-{history_filter.since}-{history_filter.until}.csv"
    return StreamingHttpResponse(
        lines,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def statistics(request: HttpRequest) -> HttpResponse:
    form = DateRangeForm(with_default_range(request.GET))
    context = {"title": "Prediction statistics", "form": form}
    if not form.is_valid():
        return _render(request, "admin/predictions/statistics.html", context, status=400)
    since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    history_url = reverse("admin:prediction_history")
    versions = []
    for stats in prediction_statistics(since=since, until=until):
        days = len(stats.per_day)

        def matrix_url(predicted: int, corrected: int, version=stats.model_version) -> str:
            return (
                history_url
                + "?"
                + urlencode(
                    {
                        "since": since,
                        "until": until,
                        "model_version": version,
                        "digit": predicted,
                        "corrected_label": corrected,
                    }
                )
            )

        peak = max((max(row) for row in stats.total.confusion), default=0) or 1
        versions.append(
            {
                "stats": stats,
                "per_day_chart": bar_chart(
                    [(f"{day:%m-%d}", n) for day, n, _ in stats.per_day],
                    title=f"Predictions per day, {since} to {until}",
                    label_every=max(1, days // 10),
                ),
                "digits_chart": bar_chart(
                    [(str(d), n) for d, n in enumerate(stats.total.digits)]
                    # "?" as the page and the history show a "not a digit" answer.
                    + [("?", stats.total.not_a_digit)],
                    title="Answers: each digit, and ? for not a digit",
                    width=360,
                ),
                "matrix": [
                    (
                        predicted,
                        [
                            (
                                corrected,
                                count,
                                matrix_url(predicted, corrected),
                                math.ceil(5 * count / peak),
                            )
                            for corrected, count in enumerate(row)
                        ],
                    )
                    for predicted, row in enumerate(stats.total.confusion)
                ],
                "history_url": history_url
                + "?"
                + urlencode({"since": since, "until": until, "model_version": stats.model_version}),
            }
        )
    context.update(since=since, until=until, versions=versions, digits=range(10))
    return _render(request, "admin/predictions/statistics.html", context)


def _get_or_404(prediction_id: uuid.UUID) -> dict:
    row = prediction_get(prediction_id=prediction_id)
    if row is None:
        raise Http404("No such prediction.")
    return row


def detail(request: HttpRequest, prediction_id: uuid.UUID) -> HttpResponse:
    row = _get_or_404(prediction_id)
    newer, older = prediction_neighbours(row=row)
    day = row["upload_time"].date()
    context = {
        "title": (
            f"Prediction: not a digit (the network's guess {row['digit']})"
            if row.get("not_a_digit")
            else f"Prediction {row['digit']}"
        ),
        "row": row,
        "repr": prediction_repr(record_from_row(row)),
        "probability_chart": probability_bars(row["probabilities"] or [], digit=row["digit"])
        if row["probabilities"]
        else None,
        # The user's predictions around this one, newest first, this one marked.
        "around": [*newer, row, *older],
        "current_id": row["id"],
        "user_history_url": reverse("admin:prediction_history")
        + "?"
        + urlencode(
            {
                "user": row["username"] or "",
                "since": day - timedelta(days=30),
                "until": day,
            }
        )
        if row["username"]
        else None,
    }
    return _render(request, "admin/predictions/detail.html", context)


def delete(request: HttpRequest, prediction_id: uuid.UUID) -> HttpResponse:
    row = _get_or_404(prediction_id)
    if request.method == "POST":
        record = prediction_delete(prediction_id=prediction_id, actor=request.user)
        if record is not None:
            messages.success(request, f"Deleted {prediction_repr(record)} from every table.")
        return redirect("admin:prediction_history")
    context = {
        "title": "Are you sure?",
        "row": row,
        "repr": prediction_repr(record_from_row(row)),
    }
    return _render(request, "admin/predictions/delete.html", context)
