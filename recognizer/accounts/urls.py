"""Account URLs under /accounts/; Django's auth URLs (login, password change and reset
pages) follow these in mnistsite/urls.py, so the views here replace theirs."""

from django.urls import path

from recognizer.accounts import views

urlpatterns = [
    path("", views.account, name="account"),
    path("signup/", views.signup, name="signup"),
    path("logout/", views.logout_view, name="logout"),
    path("api-key/", views.api_key, name="api_key"),
    path("email/", views.email, name="account_email"),
    path("password_change/", views.password_change, name="password_change"),
    path("reset/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
]
