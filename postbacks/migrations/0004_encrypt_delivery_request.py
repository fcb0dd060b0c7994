import hazelnut.secrets
from django.db import migrations


def encrypt_stored_requests(apps, schema_editor):
    """Rows written before this migration hold their request as plain JSON text."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, request FROM postbacks_delivery")
        plain = [(pk, text) for pk, text in cursor.fetchall() if text and text.lstrip()[:1] == "{"]
        for pk, text in plain:
            cursor.execute(
                "UPDATE postbacks_delivery SET request = %s WHERE id = %s",
                [hazelnut.secrets.encrypt(text), pk],
            )


class Migration(migrations.Migration):

    dependencies = [
        ("postbacks", "0003_lease_without_token"),
    ]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="request",
            field=hazelnut.secrets.EncryptedJSONField(
                default=dict, help_text="The frozen request, same bytes each try."
            ),
        ),
        migrations.RunPython(encrypt_stored_requests, migrations.RunPython.noop),
    ]
