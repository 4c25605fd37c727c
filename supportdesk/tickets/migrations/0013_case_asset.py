import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assets', '0001_initial'),
        ('tickets', '0012_case_numbers_and_reply_files'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='asset',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='cases', to='assets.asset', verbose_name='device'),
        ),
    ]
