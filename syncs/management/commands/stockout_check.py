from django.core.management.base import BaseCommand, CommandError

from syncs.models import StockoutCheckItem, StockoutCheckStatus
from syncs.services.stockouts import stockout_check_in_process, stockout_recheck


class Command(BaseCommand):
    help = (
        "Ask CitrusAd for every stocked-out product (one GET each, at STOCKOUT_CHECK_RATE), "
        "re-send the ones that are not dark, and print the figures. No worker needed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--recheck",
            action="store_true",
            help="Only ask again about products re-sent by earlier checks whose re-send landed.",
        )

    def handle(self, *args, recheck, **options):
        if recheck:
            self.stdout.write(f"Asked again about {stockout_recheck()} re-sent products.")
            return
        check = stockout_check_in_process()
        if check is None:
            raise CommandError("A stock-out check is running already.")
        self.stdout.write(f"Stock-out check {check.pk}: {check.message}")
        not_dark = StockoutCheckItem.objects.filter(
            check_run=check, resent_version__isnull=False
        ).select_related("product", "product__catalog")
        for item in not_dark[:50]:
            self.stdout.write(
                f"  re-sent {item.product.catalog.citrusad_id}/{item.product.gtin}: "
                f"{item.get_finding_display()}"
                + (f" ({item.remote_inventory})" if item.remote_inventory else "")
            )
        if check.status != StockoutCheckStatus.DONE:
            raise CommandError(f"Stock-out check {check.pk} {check.status}.")
