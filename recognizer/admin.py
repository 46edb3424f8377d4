"""Stock admin pages for what lives in SQLite; predictions have their own views
(``admin_site``, ``admin_views``)."""

from django.contrib import admin

from recognizer.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created")
    search_fields = ("user__username",)
    readonly_fields = ("created",)
    raw_id_fields = ("user",)
