from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0008_plan_assets_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="renewal_notice_days",
            field=models.PositiveIntegerField(
                default=60,
                help_text=(
                    "How many days before a contract ends its account manager and the "
                    "customer's administrators are reminded."
                ),
                verbose_name="renewal notice (days)",
            ),
        ),
    ]
