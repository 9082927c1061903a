from django.db import models
from django.db.models import Q


class Catalog(models.Model):
    """A CitrusAd catalog; `citrusad_id` stays empty until the catalog exists remotely."""

    name = models.CharField(max_length=200)
    citrusad_id = models.CharField("CitrusAd catalog id", max_length=64, blank=True, default="")
    team_id = models.CharField("CitrusAd team id", max_length=64, blank=True, default="")
    version = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["citrusad_id"],
                condition=~Q(citrusad_id=""),
                name="catalog_citrusad_id_unique",
            ),
        ]
        permissions = [("manage_catalogs", "Can register and create CitrusAd catalogs")]

    def __str__(self) -> str:
        return self.name
