from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("email_channel", "0004_attachments_to_files"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="emailattachment",
            name="data",
        ),
    ]
