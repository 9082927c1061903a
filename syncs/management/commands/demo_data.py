from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from syncs.demo_data import demo_data_create


class Command(BaseCommand):
    help = "Create demo users (one per role), two catalogs, products, customers and orders."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=3000)
        parser.add_argument("--customers", type=int, default=400)
        parser.add_argument("--orders", type=int, default=300)
        parser.add_argument(
            "--force", action="store_true", help="Run even when DEBUG is off (never in production)."
        )

    def handle(self, *args, products, customers, orders, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "demo_data creates users with known passwords; it runs only with DEBUG on."
            )
        for name, value in (
            ("--products", products),
            ("--customers", customers),
            ("--orders", orders),
        ):
            if value < 1:
                raise CommandError(f"{name} must be at least 1.")
        summary = demo_data_create(products=products, customers=customers, orders=orders)
        if summary.created:
            self.stdout.write(
                f"Created {summary.products} products in 2 catalogs, {summary.customers} customers "
                f"and {summary.orders} orders; all are pending for the sync worker."
            )
        else:
            self.stdout.write("Demo data already present; demo users' passwords were reset.")
        self.stdout.write("Demo users (role: user name / password):")
        for role, username, password in summary.users:
            self.stdout.write(f"  {role:<13} {username} / {password}")
