"""The admin site: Django's own, plus the prediction history views.

Predictions live in Cassandra, where the stock changelist cannot go (it filters with
``Q`` objects, which cqlengine rejects), so the history is a set of plain views mounted
inside this site: the same login, staff check, look and navigation as every admin page.
Users, groups and API tokens stay stock ``ModelAdmin`` pages.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as StockAdminConfig
from django.urls import include, path, reverse


class MnistAdminSite(admin.AdminSite):
    site_header = "mnistsite administration"
    site_title = "mnistsite admin"

    def get_urls(self):
        from recognizer import admin_views as views

        def staff(view):
            # admin_view: staff only (others go to the admin login), never cached, CSRF-safe.
            return self.admin_view(view)

        history = [
            path("", staff(views.history), name="prediction_history"),
            path("export.csv", staff(views.history_csv), name="prediction_export"),
            path("<uuid:prediction_id>/", staff(views.detail), name="prediction_detail"),
            path("<uuid:prediction_id>/delete/", staff(views.delete), name="prediction_delete"),
        ]
        # Before the stock patterns: its catch-all app_list pattern would take "predictions/".
        return [
            path("predictions/", include(history)),
            # Not under predictions/: the sidebar marks every link the current path starts with.
            path(
                "prediction-statistics/",
                staff(views.statistics),
                name="prediction_statistics",
            ),
            *super().get_urls(),
        ]

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        if app_label not in (None, "recognizer") or not self.has_permission(request):
            return app_list
        recognizer = next((app for app in app_list if app["app_label"] == "recognizer"), None)
        if recognizer is None:
            recognizer = {
                "name": "Digit recognizer",
                "app_label": "recognizer",
                "app_url": reverse("admin:prediction_history", current_app=self.name),
                "has_module_perms": True,
                "models": [],
            }
            app_list.append(recognizer)
            app_list.sort(key=lambda app: app["name"].lower())
        recognizer["models"][:0] = [
            _link("Prediction history", "admin:prediction_history", self.name),
            _link("Prediction statistics", "admin:prediction_statistics", self.name),
        ]
        return app_list


def _link(name: str, url_name: str, site_name: str) -> dict:
    return {
        "name": name,
        "object_name": name.replace(" ", ""),
        "perms": {"view": True},
        "admin_url": reverse(url_name, current_app=site_name),
        "add_url": None,
        "view_only": True,
    }


class AdminConfig(StockAdminConfig):
    """Makes ``MnistAdminSite`` the ``admin.site`` that ``admin.autodiscover`` fills."""

    default_site = "recognizer.admin_site.MnistAdminSite"
