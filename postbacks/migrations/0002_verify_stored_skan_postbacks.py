"""Check the signature of every SKAdNetwork postback stored before signatures were checked.

Only verified postbacks count from now on, so the ones already received are verified once here
(their payload is the report exactly as Apple sent it), and `did_win` is set for the pre-3.0
versions, where every postback is a win.
"""

from django.db import migrations

from postbacks import skan


def verify_stored(apps, schema_editor):
    SkanPostback = apps.get_model("attribution", "SkanPostback")
    for row in SkanPostback.objects.filter(verified=False).iterator(chunk_size=500):
        report = row.payload if isinstance(row.payload, dict) else {}
        if skan.verify(report):
            row.verified = True
            row.did_win = skan.won(report)
            row.save(update_fields=["verified", "did_win"])


class Migration(migrations.Migration):
    dependencies = [
        ("attribution", "0003_skanpostback_verified"),
        ("postbacks", "0001_initial"),
    ]

    operations = [migrations.RunPython(verify_stored, migrations.RunPython.noop)]
