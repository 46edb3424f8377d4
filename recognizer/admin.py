"""Stock admin pages for what lives in SQLite; predictions have their own views
(``admin_site``, ``admin_views``)."""

from django.contrib import admin

from recognizer.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff see whose keys exist and revoke them (delete); nobody can read a key back."""

    list_display = ("user", "prefix", "created", "last_used")
    list_select_related = ("user",)
    search_fields = ("user__username", "prefix")
    ordering = ("-created",)
    readonly_fields = ("user", "prefix", "key_hash", "created", "last_used")

    def has_add_permission(self, request) -> bool:
        # A key is made where it can be shown once: the account page or `api_token`.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
