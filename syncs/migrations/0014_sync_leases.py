from django.db import migrations, models


class Migration(migrations.Migration):
    """A drain's claim is a lease kept alive by a heartbeat (SyncLease); rows carry its id."""

    dependencies = [
        ("syncs", "0013_webhook_endpoints"),
    ]

    operations = [
        migrations.CreateModel(
            name="SyncLease",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("destination", models.CharField(max_length=20)),
                ("kind", models.CharField(max_length=20)),
                ("holder", models.CharField(help_text="host:pid of the drain", max_length=200)),
                ("started_at", models.DateTimeField(auto_now_add=True)),
                ("expires_at", models.DateTimeField(db_index=True)),
                ("on_wire", models.JSONField(blank=True, default=list)),
            ],
            options={"ordering": ["expires_at"]},
        ),
        migrations.RemoveIndex(model_name="syncstate", name="sync_state_lease_idx"),
        migrations.RemoveField(model_name="syncstate", name="lease_expires_at"),
        migrations.AddField(
            model_name="syncstate",
            name="lease_id",
            field=models.BigIntegerField(
                blank=True, help_text="The SyncLease it was last claimed under.", null=True
            ),
        ),
        migrations.AddIndex(
            model_name="syncstate",
            index=models.Index(
                condition=models.Q(("status", "in_flight")),
                fields=["lease_id"],
                name="sync_state_lease_idx",
            ),
        ),
    ]
