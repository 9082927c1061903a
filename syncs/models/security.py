from django.db import models


class AccessPolicy(models.Model):
    """Console-wide sign-in rules that admins set on the Users page: a single row."""

    admins_need_second_factor = models.BooleanField(
        default=False, help_text="Users with the admin role must log in with an authenticator app."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "access policy"

    def __str__(self) -> str:
        return "Access policy"
