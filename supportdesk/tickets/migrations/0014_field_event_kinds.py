from django.db import migrations, models


class Migration(migrations.Migration):
    """Field service's case events: visits, repairs and loaners (and the kinds beside them)."""

    dependencies = [
        ("tickets", "0013_case_asset"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Case received"),
                    ("message", "Message"),
                    ("status", "Status changed"),
                    ("priority", "Priority changed"),
                    ("assignee", "Assignee changed"),
                    ("level", "Level changed"),
                    ("team", "Team changed"),
                    ("clock_started", "Clock started"),
                    ("clock_paused", "Clock paused"),
                    ("clock_resumed", "Clock resumed"),
                    ("clock_met", "Clock met"),
                    ("clock_breached", "Clock breached"),
                    ("clock_retargeted", "Clock target changed"),
                    ("escalated", "Escalated"),
                    ("credited", "Credit granted"),
                    ("notified", "Notification queued"),
                    ("work", "Time recorded"),
                    ("work_removed", "Time entry removed"),
                    ("work_changed", "Time entry changed"),
                    ("direct_level_2", "Started at Level 2"),
                    ("call_answered", "Call answered"),
                    ("visit_needed", "On-site visit decided"),
                    ("visit_scheduled", "Visit scheduled"),
                    ("visit_arrived", "Technician arrived"),
                    ("visit_departed", "Technician left"),
                    ("repair_taken", "Device taken for repair"),
                    ("repair_returned", "Device returned from repair"),
                    ("loaner_issued", "Loaner issued"),
                    ("loaner_returned", "Loaner returned"),
                    ("remote_asked", "Consent to remote help asked"),
                    ("remote_consented", "Consent to remote help given"),
                    ("remote_started", "Remote session started"),
                    ("remote_ended", "Remote session ended"),
                    ("asset", "Device changed"),
                    ("coverage", "Coverage changed"),
                ],
                max_length=20,
            ),
        ),
    ]
