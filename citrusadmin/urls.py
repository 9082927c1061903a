from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from syncs.views import account

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/verify/", account.second_factor_verify_view, name="second_factor_verify"),
    path("account/second-factor/", account.second_factor_setup_view, name="second_factor_setup"),
    # Password links that admins send from the Users page (Django's password reset tokens).
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("", include("syncs.urls")),
]
