from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who did what to which object, with the state before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(
        max_length=150, blank=True, default="", help_text="Kept if the user goes."
    )
    action = models.CharField(max_length=50)
    object_kind = models.CharField(max_length=30)
    object_id = models.CharField(max_length=100)
    object_repr = models.CharField(max_length=300, blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # One bulk action is one entry in the log: its per-product entries point at it.
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_kind", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_idx"),
            models.Index(fields=["action", "-id"], name="audit_action_idx"),
            # The log lists top-level entries only, newest first.
            models.Index(
                fields=["-id"], condition=models.Q(parent__isnull=True), name="audit_top_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name or 'system'} {self.action} {self.object_kind} {self.object_id}"
