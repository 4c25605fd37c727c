"""Seed the browser tests' database through the services, in a process of its own.

    DATABASE_URL=sqlite:///... python -m tests.e2e.seed base      # migrate, static, world
    DATABASE_URL=sqlite:///... python -m tests.e2e.seed breached  # add an overdue P1 case
    DATABASE_URL=sqlite:///... python -m tests.e2e.seed status    # status components, incidents

The server under test runs in another process, so pytest-django's test database cannot be
used; this writes the file database the server reads and prints what it made as JSON.
"""

import json
import os
import sys
from datetime import date, timedelta

PASSWORD = "Browser-test-pass-42"
#: WebPlug's lines: the priority line (24/7, designated in Cliente B's contract) and the main
#: line on Lisbon hours; João takes calls on his mobile, extension 101.
PRIORITY_LINE, MAIN_LINE, JOAO_PHONE = "+351210000247", "+351210000100", "+351911000001"

ZOOM_DEFINITIONS = {
    "P1": "The service is down or critically impaired and there is no workaround. "
    "We work on it around the clock.",
    "P2": "Important parts of the service are impaired; any workaround is partial. "
    "We work on it in regional business hours.",
    "P3": "A feature misbehaves but the service keeps working. Regional business hours.",
    "P4": "A question, a how-to, configuration or a feature request. Regional business hours.",
}
EVERYONE = ["member", "licensed_member", "admin"]
ZOOM_ENTITLEMENTS = {
    "help_center": EVERYONE,
    "self_service": EVERYONE,
    "chatbot": EVERYONE,
    "ticket_l1": ["licensed_member", "admin"],
    "chat_l1": ["licensed_member", "admin"],
    "phone_l1": ["licensed_member"],
    "ticket_l2": ["admin"],
    "phone_l2": ["admin"],
}


def base() -> dict:
    from django.core.management import call_command
    from django.utils import timezone

    from supportdesk.accounts.services import save_preferences
    from supportdesk.plans.services import TargetSpec, save_plan
    from supportdesk.tickets import services
    from tests.factories import make_world

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    world = make_world(password=PASSWORD)
    save_plan(
        "priority",
        name="Priority 24/7",
        priority_definitions=ZOOM_DEFINITIONS,
        entitlements=ZOOM_ENTITLEMENTS,
        targets=[
            # WebPlug's headline promise: answered within 5 minutes through the priority line.
            TargetSpec("first_response", within=timedelta(minutes=5), channels=["phone"],
                       designated=True, around_the_clock=True),
            TargetSpec("restoration", within=timedelta(hours=1), channels=["phone"],
                       designated=True, around_the_clock=True),
            TargetSpec("first_response", within=timedelta(minutes=30), priorities=["P1"],
                       around_the_clock=True),
            TargetSpec("first_response", within=timedelta(hours=4)),
            TargetSpec("restoration", within=timedelta(hours=4), priorities=["P1"],
                       around_the_clock=True),
            TargetSpec("restoration", within=timedelta(hours=16)),
            TargetSpec("first_response", business_days=2, guaranteed=False),
        ],
    )  # fmt: skip
    for user in (world.admin.user, world.member.user, world.outsider.user):
        save_preferences(user, timezone_name="Europe/Lisbon", language="")
    phone_lines(world)
    save_preferences(world.agent, timezone_name="Europe/Warsaw", language="")

    now = timezone.now()
    answered = [
        (world.admin, "Email bounces for the sales team", "P2", "email", 150),
        (world.member, "How do I add a shared mailbox?", "P4", "web", 90),
        (world.outsider, "VPN drops every hour", "P3", "web", 60),
    ]
    made = {}
    for contact, subject, priority, channel, minutes_ago in answered:
        case = services.open_case(
            subject=subject, body="Details in the attached log.", channel=channel,
            priority=priority, contact=contact, at=now - timedelta(minutes=minutes_ago),
        )  # fmt: skip
        services.post_reply(
            case, author=world.agent, body="Looking into it.", notify=False,
            at=now - timedelta(minutes=minutes_ago - 10),
        )  # fmt: skip
        made[subject] = case.pk
    waiting = services.open_case(
        subject="Printer driver for the new office", body="Which model?", channel="web",
        priority="P3", contact=world.member, at=now - timedelta(minutes=40),
    )  # fmt: skip
    services.post_reply(waiting, author=world.agent, body="Which model is it?", notify=False)
    services.change_status(waiting, "waiting", actor=world.agent)
    services.assign(waiting, assignee=world.agent, actor=world.agent)
    sms = services.open_case(
        subject="SMS: site is down?", body="site down??", channel="sms", priority="P3",
        sender="+351912345678", at=now - timedelta(minutes=20),
    )  # fmt: skip
    services.open_case(
        subject="Question from an unknown address", body="Hello?", channel="email",
        sender="someone@unknown.example", at=now - timedelta(minutes=5),
    )  # fmt: skip
    made["waiting"], made["sms"] = waiting.pk, sms.pk
    return {"password": PASSWORD, "cases": made, "outsider_case": made["VPN drops every hour"]}


def phone_lines(world) -> None:
    from supportdesk.accounts.models import Agent
    from supportdesk.channels.voice.choices import AfterHours, OptionKind
    from supportdesk.channels.voice.services import (
        OptionSpec,
        save_agent_line,
        save_menu,
        save_number,
        save_options,
    )
    from supportdesk.plans.services import save_contract

    menu, _ = save_menu(
        "main",
        greeting={"pt": "Bem-vindo ao suporte WebPlug.", "en": "Welcome to WebPlug support."},
    )
    save_options(menu, [
        OptionSpec("1", OptionKind.TEAM, {"pt": "Suporte técnico", "en": "Technical support"},
                   team="geral"),
        OptionSpec("3", OptionKind.EXTENSION, {"pt": "Extensão", "en": "Extension"}),
        OptionSpec("9", OptionKind.VOICEMAIL, {"pt": "Deixar mensagem", "en": "Leave a message"}),
    ])  # fmt: skip
    lines = [
        (PRIORITY_LINE, "WebPlug priority line", None, False),
        (MAIN_LINE, "WebPlug main line", world.calendar, True),
    ]
    for number, name, calendar, public in lines:
        save_number(
            number, name=name, language="pt", calendar=calendar, menu=menu,
            after_hours=AfterHours.VOICEMAIL, country="PT", public=public,
        )  # fmt: skip
    save_agent_line(Agent.objects.get(user=world.agent), phone=JOAO_PHONE, extension="101")
    save_contract(world.org, world.plan, start=date(2020, 1, 1), designated_phone=PRIORITY_LINE)


def breached() -> dict:
    from django.utils import timezone

    from supportdesk.accounts.models import Contact
    from supportdesk.tickets import services

    now = timezone.now()
    olga = Contact.objects.get(name="Olga Nowak")
    case = services.open_case(
        subject="Telephony exchange unreachable", body="No calls in or out.", channel="web",
        priority="P1", contact=olga, at=now - timedelta(minutes=95),
    )  # fmt: skip
    services.sweep(now=now)
    return {"breached_case": case.pk}


def status() -> dict:
    """The world file's example: a public SIP trunk with a public incident, and Cliente B's own
    PBX, degraded by an incident only Cliente B (and the agents) may see."""
    from supportdesk.accounts.models import Organization, User
    from supportdesk.status import services as status_services
    from supportdesk.status.choices import Audience, ComponentStatus, Impact, IncidentStatus

    agent = User.objects.get(email="joao@webplug.example")
    voice, _ = status_services.save_group("voice", name="Voice", names={"pt": "Voz", "pl": "Głos"})
    status_services.save_component(
        "sip-trunk-lisboa", name="SIP trunk Lisbon", names={"pt": "Tronco SIP Lisboa"},
        group=voice,
    )  # fmt: skip
    status_services.save_component(
        "pbx-cliente-b", name="PBX Cliente B", names={"pt": "Central telefónica Cliente B"},
        group=voice, audience=Audience.ORGANIZATIONS,
        organizations=[Organization.objects.get(slug="cliente-b")],
    )  # fmt: skip
    trunk = status_services.open_incident(
        name="Calls to Lisbon fail now and then", impact=Impact.MINOR,
        status=IncidentStatus.IDENTIFIED, body="A carrier route drops one call in ten.",
        components={"sip-trunk-lisboa": ComponentStatus.PARTIAL_OUTAGE}, author=agent,
    )  # fmt: skip
    pbx = status_services.open_incident(
        name="PBX slow to connect calls", impact=Impact.MAJOR,
        status=IncidentStatus.INVESTIGATING, body="Calls take a while to connect; looking into it.",
        components={"pbx-cliente-b": ComponentStatus.DEGRADED}, author=agent,
    )  # fmt: skip
    status_services.update_incident(
        pbx, status=IncidentStatus.IDENTIFIED, body="A failed power supply; the spare is fitted.",
        author=agent,
    )  # fmt: skip
    return {"trunk_incident": trunk.pk, "pbx_incident": pbx.pk}


def zones() -> dict:
    """People who chose no zone: Piotr (Polish, his organization's contract counts Warsaw's
    hours while the plan's own calendar is Lisbon's) and Rita (Portuguese, Cliente B's Lisbon
    contract); an organization without a contract."""
    from django.utils import timezone

    from supportdesk.accounts.models import Organization, User
    from supportdesk.accounts.services import save_contact, save_preferences
    from supportdesk.billing.services import record_work
    from supportdesk.plans.models import BusinessCalendar, Plan
    from supportdesk.plans.services import save_contract
    from supportdesk.tickets import services
    from tests.factories import LISBON_WEEKDAYS

    now = timezone.now()
    warsaw = BusinessCalendar.objects.create(
        slug="pl-warsaw", timezone="Europe/Warsaw", country="PL", weekly=LISBON_WEEKDAYS
    )
    wisla = Organization.objects.create(slug="wisla", name="Wisła Logistyka")
    plan = Plan.objects.get(slug="priority")
    save_contract(wisla, plan, start=date(2020, 1, 1), calendar=warsaw)
    Organization.objects.create(slug="bez-umowy", name="Bez Umowy sp. z o.o.")
    piotr = save_contact(wisla, name="Piotr Zając", role="admin", email="piotr@wisla.pl")
    rita = save_contact(
        Organization.objects.get(slug="cliente-b"), name="Rita Lopes", role="admin",
        email="rita@cliente-b.pt",
    )  # fmt: skip
    for contact, language in ((piotr, "pl"), (rita, "pt")):
        contact.user.set_password(PASSWORD)
        contact.user.save()
        save_preferences(contact.user, timezone_name="UTC", language=language)
    agent = User.objects.get(email="joao@webplug.example")
    made = {}
    for hour, contact, subject in (
        (1, piotr, "Drukarka nie drukuje"),
        (2, rita, "A impressora não imprime"),
    ):
        case = services.open_case(
            subject=subject, body="Od rana.", channel="web", priority="P3", contact=contact,
            at=now - timedelta(hours=hour, minutes=30),
        )  # fmt: skip
        made[contact.user.language] = case.pk
        # Time on the case: its table and the forms to change it sit on the agent's page too.
        start = now - timedelta(hours=hour, minutes=25)
        record_work(case, agent, start, start + timedelta(minutes=15), at=now)
    return {"cases": made}


def field() -> dict:
    """Marek, a field technician working from Warsaw, with three visits on 16 November 2026
    for Cliente B's cases, scheduled out of order; one at an address with a long street name."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from supportdesk.accounts.models import Contact, User
    from supportdesk.accounts.services import save_agent, save_preferences
    from supportdesk.assets.services import save_asset
    from supportdesk.field import services as field_work
    from supportdesk.tickets import services

    warsaw = ZoneInfo("Europe/Warsaw")
    joao = User.objects.get(email="joao@webplug.example")
    marek = save_agent(name="Marek Kowalczyk", email="marek@webplug.example", level="L2").user
    marek.set_password(PASSWORD)
    marek.save()
    save_preferences(marek, timezone_name="Europe/Warsaw", language="")
    field_work.set_technician(marek)
    ana = Contact.objects.get(name="Ana Silva")
    visits = (
        (15, "Printer jams on every page", "Lisboa, Rua Augusta 100"),
        (9, "Laptop does not start", "Lisboa, Avenida da Liberdade 245, 3.º esquerdo, "
            "Edifício Central Park, Escritório 12"),
        (12, "No network in the meeting room", "Sintra, Rua Visconde de Monserrate 2"),
    )  # fmt: skip
    start = datetime(2026, 11, 16, 7, 0, tzinfo=warsaw)
    for number, (hour, subject, address) in enumerate(visits):
        device, _change = save_asset(
            ana.organization, f"SN-E2E-{number}", device_class="laptop", location=address
        )
        case = services.open_case(
            subject=subject, body=".", channel="web", contact=ana, asset=device, at=start
        )
        visit = field_work.decide_visit(case, actor=joao, at=start)
        window = start.replace(hour=hour)
        field_work.schedule_visit(
            visit, technician=marek, start=window, end=window.replace(hour=hour + 2),
            actor=joao, at=start,
        )  # fmt: skip
        # Weeks old and long breached: resolved, so they do not head the shared queue that
        # other browser tests read (the day list shows visits whatever their case's status).
        services.change_status(case, "resolved", actor=joao, at=start)
    return {"technician": marek.email, "day": "2026-11-16"}


def requests() -> dict:
    """Number porting as the provider offers it, and Cliente B's owner, who may sign for it."""
    from supportdesk.accounts.models import Organization
    from supportdesk.accounts.services import save_contact, save_preferences
    from supportdesk.service_requests.services import save_request_type

    save_request_type(
        "number-porting",
        names={"pl": "Przeniesienie numerów", "pt": "Portabilidade de números",
               "en": "Number porting"},
        who="owner",
        fields=[
            {"key": "numbers", "type": "phone_numbers", "required": True,
             "label": {"en": "Numbers"}},
            {"key": "bill", "type": "file", "types": ["application/pdf", "image/png"],
             "max_mb": 10, "required": True, "label": {"en": "Last month's bill"}},
            {"key": "emergency_address", "type": "address", "required": True,
             "label": {"en": "Emergency address"}},
            {"key": "loa", "type": "signature", "required": True,
             "label": {"en": "Letter of agency"}},
        ],
        checklist=[{"en": "The bill shows the owner, the account, the numbers and the PIN"},
                   {"en": "Letter of agency sent to the current carrier"}],
        targets={"confirmation": {"business_days": [5, 7]},
                 "completion": {"business_days": [7, 10]}},
    )  # fmt: skip
    owner = save_contact(
        Organization.objects.get(slug="cliente-b"),
        name="Olívia Dono",
        role="owner",
        email="olivia@cliente-b.pt",
    )
    owner.user.set_password(PASSWORD)
    owner.user.save()
    save_preferences(owner.user, timezone_name="Europe/Lisbon", language="")
    return {"owner": owner.user.email}


def workspace() -> dict:
    """For search, bulk assignment and canned replies: three cases to find by a word of their
    own (one per width and a spare), a second agent to assign them to, and a canned reply."""
    from supportdesk.accounts.models import Contact, User
    from supportdesk.accounts.services import save_agent
    from supportdesk.desk.services import save_macro
    from supportdesk.tickets import services

    bruno = Contact.objects.get(name="Bruno Reis")
    cases = [
        services.open_case(
            subject=f"Scanner {word} jammed", body="Paper stuck in the feeder.", channel="web",
            contact=bruno,
        ).pk
        for word in ("quokka", "quokka", "wombat")
    ]  # fmt: skip
    marta = save_agent(name="Marta Sousa", email="marta@webplug.example", level="L1").user
    agent = User.objects.get(email="joao@webplug.example")
    save_macro(
        None, name="Paper jam", body="Hello {{ requester.name }}, about {{ case.reference }}: "
        "open the rear flap.", status="waiting", actor=agent,
    )  # fmt: skip
    return {"cases": cases, "marta": marta.pk}


def verdicts() -> dict:
    """Ewa (Polish) and Inês (Portuguese) of Cliente B, each with two resolved cases: one per
    screen width, to answer "solved" and then follow up."""
    from supportdesk.accounts.models import Organization, User
    from supportdesk.accounts.services import save_contact, save_preferences
    from supportdesk.tickets import services

    agent = User.objects.get(email="joao@webplug.example")
    organization = Organization.objects.get(slug="cliente-b")
    made: dict[str, list[int]] = {}
    for name, email, language, subject in (
        ("Ewa Kowalska", "ewa@cliente-b.pt", "pl", "Skaner nie skanuje"),
        ("Inês Costa", "ines@cliente-b.pt", "pt", "O digitalizador não digitaliza"),
    ):
        contact = save_contact(organization, name=name, role="admin", email=email)
        contact.user.set_password(PASSWORD)
        contact.user.save()
        save_preferences(contact.user, timezone_name="Europe/Lisbon", language=language)
        made[language] = []
        for _width in range(2):
            case = services.open_case(subject=subject, body="...", channel="web", contact=contact)
            services.change_status(case, "resolved", actor=agent)
            made[language].append(case.pk)
    return {"cases": made}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
    import django

    django.setup()
    phase = sys.argv[1] if len(sys.argv) > 1 else "base"
    phases = {
        "base": base,
        "breached": breached,
        "status": status,
        "zones": zones,
        "field": field,
        "requests": requests,
        "workspace": workspace,
        "verdicts": verdicts,
    }
    result = phases[phase]()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
