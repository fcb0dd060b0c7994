# The attribution sweeper's two columns and their partial indexes.
#
# Installs attributed before this migration had their fan-out published by the code of the time,
# so the backfill marks them published (at their attribution time); otherwise the first sweep
# would send every historical install's postbacks again.

from django.db import migrations, models
from django.db.models.functions import Coalesce


def mark_existing_published(apps, schema_editor):
    Install = apps.get_model("attribution", "Install")
    Install.objects.filter(status="ATTRIBUTED", fanout_published_at__isnull=True).update(
        fanout_published_at=Coalesce("attributed_at", "installed_at")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("attribution", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="install",
            name="fanout_published_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="install",
            name="redriven_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_existing_published, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="install",
            index=models.Index(
                condition=models.Q(("status", "PENDING")),
                fields=["installed_at"],
                name="install_pending",
            ),
        ),
        migrations.AddIndex(
            model_name="install",
            index=models.Index(
                condition=models.Q(("fanout_published_at__isnull", True), ("status", "ATTRIBUTED")),
                fields=["attributed_at"],
                name="install_fanout_unpublished",
            ),
        ),
    ]
