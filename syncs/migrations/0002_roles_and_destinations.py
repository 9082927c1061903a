from django.db import migrations

from syncs.roles import apply_role_permissions


def create_roles_and_destinations(apps, schema_editor):
    apply_role_permissions(apps)
    destination_model = apps.get_model("syncs", "Destination")
    for name in ("citrusad", "custobar"):
        destination_model.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("syncs", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_roles_and_destinations, migrations.RunPython.noop),
    ]
