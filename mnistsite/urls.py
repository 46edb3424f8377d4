from django.contrib import admin
from django.urls import include, path

from recognizer import api

urlpatterns = [
    path("accounts/", include("recognizer.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # The JSON API (namespace "api"): /api/v1/predict, /api/v1/predictions, /api/v1/docs ...
    *api.urls(),
    path("", include("recognizer.urls")),
]
