# Campaigns registered from a network's answer, one per (project, network, network campaign id).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('attribution', '0004_user_identity_parked'),
    ]

    operations = [
        migrations.AddField(
            model_name='campaign',
            name='reported_by_network',
            field=models.BooleanField(default=False),
        ),
        migrations.AddConstraint(
            model_name='campaign',
            constraint=models.UniqueConstraint(condition=models.Q(('reported_by_network', True)), fields=('project', 'network', 'ad_network_campaign_id'), name='campaign_reported_by_network_unique'),
        ),
    ]
