from django.urls import path

from recognizer import views

app_name = "recognizer"

urlpatterns = [
    path("", views.canvas, name="canvas"),
    path("history/", views.history, name="history"),
    path("history/export.csv", views.history_export, name="history-export"),
    path("history/<uuid:prediction_id>/feedback", views.history_feedback, name="history-feedback"),
    path("history/<uuid:prediction_id>/delete", views.history_delete, name="history-delete"),
    path("upload/", views.upload, name="upload"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
