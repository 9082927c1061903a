"""Run the alert inbox in the foreground: an SMTP server and a webhook receiver that show what
they received (see "Trying alerts on your machine" in the README)."""

import logging
import time

from django.core.management.base import BaseCommand

from syncs.sandbox.inbox import AlertInbox


class Command(BaseCommand):
    help = "Receive alert e-mails and webhook posts locally and show them at http://HOST:PORT/."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--smtp-port", type=int, default=8725)
        parser.add_argument("--http-port", type=int, default=8726)

    def handle(self, *args, host, smtp_port, http_port, **options):
        # aiosmtpd logs five INFO lines per connection (its own start-up probe too), which
        # bury `make demo`'s banner; its warnings and errors still show, and the page at
        # http://HOST:PORT/ lists every message that arrived.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        inbox = AlertInbox(host=host, smtp_port=smtp_port, http_port=http_port).start()
        self.stdout.write(
            f"Alert inbox: SMTP on {host}:{inbox.smtp_port}, webhook {inbox.webhook_url}, "
            f"messages at http://{host}:{inbox.http_port}/",
        )
        self.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            inbox.stop()
