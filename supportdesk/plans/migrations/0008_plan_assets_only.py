from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('plans', '0007_on_demand_metrics'),
    ]

    operations = [
        migrations.AddField(
            model_name='plan',
            name='assets_only',
            field=models.BooleanField(default=False, verbose_name='covers contract devices only'),
        ),
    ]
