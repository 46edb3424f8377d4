from django.urls import path

from recognizer import api, views

app_name = "recognizer"

urlpatterns = [
    path("", views.canvas, name="canvas"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("api/v1/predict", api.predict, name="api-predict"),
]
