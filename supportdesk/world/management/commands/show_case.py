import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from supportdesk.world.inspect import case_summary, find_case


class Command(BaseCommand):
    help = _("Show a case, its messages and its SLA clocks (by reference or number).")

    def add_arguments(self, parser):
        parser.add_argument("case", help=_("the case reference (WP-1) or number"))
        parser.add_argument("--json", action="store_true", dest="as_json", help=_("print JSON"))

    def handle(self, *args, case: str, as_json: bool, **options):
        found = find_case(case)
        if found is None:
            raise CommandError(_('no case "%(case)s"') % {"case": case})
        summary = case_summary(found)
        if as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        self.stdout.write(readable(summary))


def readable(summary: dict) -> str:
    """The summary as a person reads it in a terminal."""
    lines = [
        f"{summary['case']}  {summary['subject']}",
        _("organization: %(org)s   plan: %(plan)s")
        % {"org": summary["org"] or "-", "plan": summary["plan"] or "-"},
        _("priority: %(p)s   status: %(s)s   level: %(l)s")
        % {"p": summary["priority"], "s": summary["status"], "l": summary["level"]},
        _("requester: %(r)s") % {"r": summary["requester"] or "-"},
        _("coverage: %(reason)s") % {"reason": summary["coverage_reason"]},
    ]
    for metric, clock in summary["clocks"].items():
        if clock["met_at"]:
            state = _("met at %(at)s") % {"at": clock["met_at"]}
        elif clock["due"]:
            state = _("due %(at)s") % {"at": clock["due"]}
        else:
            state = _("paused")
        if clock["breached"]:
            state += ", " + _("breached at %(at)s") % {"at": clock["breached_at"]}
        kind = _("guaranteed") if clock["guaranteed"] else _("indicative")
        lines.append(f"  {metric}: {state} ({kind})")
    if summary["credit_hours"]:
        lines.append(_("credit: %(h)s h") % {"h": summary["credit_hours"]})
    lines.append("")
    for message in summary["messages"]:
        visibility = "" if message["public"] else " " + _("(internal)")
        if message["sender_verified"] is False:
            visibility += " " + _("(sender not verified)")
        lines.append(f"[{message['at']}] {message['from']}{visibility}")
        lines.append(f"    {message['body']}")
    return "\n".join(lines)
