import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("email_channel", "0002_mailbox_brand"),
        ("tickets", "0002_attachment"),
    ]

    operations = [
        migrations.AddField(
            model_name="emailattachment",
            name="attachment",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="email_part",
                to="tickets.attachment",
            ),
        ),
    ]
