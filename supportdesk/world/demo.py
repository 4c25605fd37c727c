"""The demo: the demo world, a live history of cases in every state, and people who can sign in.

The history is written relative to now and replayed through the same import as any history
file, so its clocks are running, paused, met or breached exactly as live traffic would leave
them.
"""

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Organization, User
from supportdesk.knowledge.demo import load_demo_kb
from supportdesk.knowledge.services import ImportReport as KnowledgeReport
from supportdesk.tickets.models import Case
from supportdesk.world.history import ImportReport, replay
from supportdesk.world.loader import LoadReport, load_file

DEMO_WORLD = Path(__file__).with_name("demo_world.yaml")
SUPERUSER = "admin@supportdesk.example"


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or "supportdesk-demo"


@dataclass
class DemoReport:
    world: LoadReport
    history: ImportReport
    knowledge: KnowledgeReport
    users: int

    def summary(self) -> str:
        return "\n".join(
            [
                self.world.summary(),
                self.history.summary(),
                self.knowledge.summary(),
                _("%(n)s demo users can sign in") % {"n": self.users},
            ]
        )


def load_demo(now: datetime | None = None) -> DemoReport:
    """Load the demo world and history (cases already there are kept) and set passwords."""
    now = now or timezone.now()
    with transaction.atomic():
        world = load_file(DEMO_WORLD)
        existing = set(
            Case.objects.filter(reference__isnull=False).values_list("reference", flat=True)
        )
        events = [e for e in demo_history(now) if e["case"] not in existing]
        history = replay(enumerate(events, start=1), source="demo history", now=now)
        users = _set_passwords(demo_password())
    knowledge = load_demo_kb()  # after the plans: plan-restricted articles need them
    return DemoReport(world, history, knowledge, users)


def is_empty() -> bool:
    return not Organization.objects.exists()


def _set_passwords(password: str) -> int:
    superuser = User.objects.filter(email=SUPERUSER).first()
    if superuser is None:
        User.objects.create_superuser(SUPERUSER, password, name=_("Administrator"))
    else:
        superuser.set_password(password)
        superuser.save(update_fields=["password"])
    users = list(User.objects.filter(email__in=[e for _kind, e, _o in _demo_people()]))
    for user in users:
        user.set_password(password)
    User.objects.bulk_update(users, ["password"])
    return len(users) + 1


@cache
def _demo_people() -> tuple[tuple[str, str, str], ...]:
    """(kind, email, note) of everyone the demo world lets sign in, in file order."""
    world = yaml.safe_load(DEMO_WORLD.read_text(encoding="utf-8"))
    people = [("agent", a["email"], a["level"]) for a in world.get("agents", [])]
    for org in world.get("organizations", {}).values():
        for contact in org.get("contacts", []):
            if contact.get("email"):
                people.append(("customer", contact["email"], f"{org['name']}, {contact['role']}"))
    return tuple(people)


def demo_logins() -> list[str]:
    """Sign-in lines for the demo users that exist in this database (none: an empty list)."""
    try:
        present = set(
            User.objects.filter(
                email__in=[SUPERUSER, *(e for _k, e, _n in _demo_people())]
            ).values_list("email", flat=True)
        )
    except DatabaseError:  # not migrated yet: nothing to show
        return []
    password = demo_password()
    lines = [f"{'admin':<9}{SUPERUSER} / {password}"] if SUPERUSER in present else []
    lines += [
        f"{kind:<9}{email} / {password}  ({note})"
        for kind, email, note in _demo_people()
        if email in present
    ]
    return lines


def demo_history(now: datetime) -> list[dict[str, Any]]:
    """Events of the demo cases, each a history line with its instant ``ago`` before now."""
    events: list[dict[str, Any]] = []
    now = now.replace(second=0, microsecond=0)  # whole minutes read better in the demo

    def add(case: str, ago: timedelta, event: str, **fields: Any) -> None:
        events.append({"at": (now - ago).isoformat(), "case": case, "event": event, **fields})

    def h(n: int) -> timedelta:
        return timedelta(hours=n)

    def m(n: int) -> timedelta:
        return timedelta(minutes=n)

    d = timedelta

    # WebPlug: a priority customer's case answered, waiting, and opened again by the customer.
    add("WP-1001", h(26), "received", org="tejo-advogados", channel="email", priority="P3",
        **{"from": "ana@tejo-advogados.pt.example", "to": "prioridade@webplug.example"},
        subject="Certificado SSL expira amanhã",
        body="O certificado do nosso site expira amanhã. Podem renová-lo?")  # fmt: skip
    add("WP-1001", h(25) + m(50), "assign", to="joao@webplug.example", team="webplug-geral")
    add("WP-1001", h(25), "reply", by="joao@webplug.example",
        body="Bom dia, Ana. Confirme o domínio por email antes de renovarmos.")  # fmt: skip
    add("WP-1001", h(25) - m(1), "status", status="waiting", by="joao@webplug.example")
    add("WP-1001", h(3), "customer_reply", **{"from": "ana@tejo-advogados.pt.example"},
        body="Confirmação enviada agora mesmo.")  # fmt: skip
    # Written to the main address although the plan guarantees only its priority address.
    add("WP-1002", h(2), "received", org="tejo-advogados", channel="email",
        **{"from": "bruno@tejo-advogados.pt.example", "to": "suporte@webplug.example"},
        subject="Nova caixa de correio para estagiária",
        body="Precisamos de uma caixa de correio nova para a Joana.")  # fmt: skip
    # 24/7 by the priority number: five minutes around the clock, missed; two free hours.
    add("WP-1003", h(3), "received", org="farmacia-central", channel="phone", priority="P1",
        **{"from": "+351912000301", "to": "+351210000365"},
        subject="Sistema de receitas sem ligação",
        body="Chamada: o sistema de receitas não liga ao servidor desde as 7h.")  # fmt: skip
    add("WP-1003", h(2) + m(50), "reply", by="pedro@webplug.example",
        body="Estamos a reiniciar o servidor; ligamos de volta em 15 minutos.")  # fmt: skip
    # Answered, resolved and closed.
    add("WP-1004", d(days=10), "received", org="padaria-aurora", channel="email",
        **{"from": "marta@padaria-aurora.pt.example", "to": "suporte@webplug.example"},
        subject="Apontar o domínio para a loja online",
        body="Queremos que padaria-aurora.pt.example mostre a nova loja online.")  # fmt: skip
    add("WP-1004", d(days=9, hours=20), "reply", by="ines@webplug.example",
        body="Registos DNS atualizados; a mudança propaga-se em poucas horas.")  # fmt: skip
    add("WP-1004", d(days=9, hours=19), "status", status="resolved", by="ines@webplug.example")
    add("WP-1004", d(days=8), "status", status="closed", by="ines@webplug.example")
    # SMS carries no response time, whatever the plan.
    add("WP-1005", m(40), "received", org="padaria-aurora", channel="sms",
        **{"from": "+351912000102", "to": "+351210000100"},
        subject="Site lento", body="O site está muito lento esta manhã.")  # fmt: skip
    # Nobody we know: the no-plan expectation of two business days, no promise.
    add("WP-1006", h(5), "received", channel="email",
        **{"from": "visitante@correio.example", "to": "suporte@webplug.example"},
        subject="Preço do alojamento",
        body="Quanto custa alojar um site pequeno com email?")  # fmt: skip
    # Only an internal note: the first-response promise is missed, one free hour.
    add("WP-1007", d(days=8), "received", org="tejo-advogados", channel="email", priority="P2",
        **{"from": "ana@tejo-advogados.pt.example", "to": "prioridade@webplug.example"},
        subject="Cópias de segurança falharam",
        body="As cópias de segurança desta noite não correram.")  # fmt: skip
    add("WP-1007", d(days=8) - h(1), "reply", by="pedro@webplug.example", public=False,
        body="Verificar espaço em disco do servidor de backups antes de responder.")  # fmt: skip
    add("WP-1008", d(days=5), "received", org="tejo-advogados", channel="phone",
        **{"from": "+351912000201", "to": "+351210000247"},
        subject="Acesso ao webmail", body="Chamada: a Ana não entra no webmail.")  # fmt: skip
    add("WP-1008", d(days=5) - m(20), "reply", by="joao@webplug.example",
        body="Palavra-passe reposta durante a chamada.")  # fmt: skip
    add("WP-1008", d(days=4), "status", status="resolved", by="joao@webplug.example")
    add("WP-1009", h(4), "received", org="farmacia-central", channel="email",
        **{"from": "helena@farmacia-bonfim.pt.example", "to": "urgente@webplug.example"},
        subject="Faturas em PDF", body="As faturas deixaram de ser enviadas em PDF.")  # fmt: skip
    add("WP-1009", h(3) + m(30), "reply", by="pedro@webplug.example",
        body="Pode enviar-nos uma fatura de exemplo que não chegou?")  # fmt: skip
    add("WP-1009", h(3) + m(29), "status", status="waiting", by="pedro@webplug.example")

    # MeetWave: P1 restored too late on Premier+, escalated to Level 2 automatically (a licensed
    # member's chat starts at Level 1).
    add("MW-2001", h(6), "received", org="baltyk-media", channel="chat", priority="P1",
        **{"from": "jakub@baltyk-media.pl.example"},
        subject="Webinar for 800 attendees does not start",
        body="Our webinar starts in an hour and attendees get an error when joining.")  # fmt: skip
    add("MW-2001", h(5) + m(40), "reply", by="tomasz@meetwave.example",
        body="We see the error on our side and are working on it now.")  # fmt: skip
    # P2, waiting on the customer: restoration paused. An administrator's case on Premier starts
    # at Level 2 (direct Level 2 by web case).
    add("MW-2002", d(days=2), "received", org="wisla-logistyka", channel="web", priority="P2",
        **{"from": "agnieszka@wisla-logistyka.pl.example"},
        subject="Cloud recordings missing",
        body="Recordings from yesterday's meetings are not in cloud storage.")  # fmt: skip
    add("MW-2002", d(days=2) - h(1), "reply", by="tomasz@meetwave.example",
        body="Could you send the meeting IDs of the missing recordings?")  # fmt: skip
    add("MW-2002", d(days=1), "status", status="waiting", by="tomasz@meetwave.example")
    # Access: an expectation only.
    add("MW-2003", h(1), "received", org="escola-atlantico", channel="web", priority="P4",
        **{"from": "filipa@escola-atlantico.pt.example"},
        subject="Breakout rooms for exams",
        body="How do we prepare breakout rooms for oral exams with one student each?")  # fmt: skip
    add("MW-2004", d(days=12), "received", org="wisla-logistyka", channel="web", priority="P4",
        **{"from": "piotr@wisla-logistyka.pl.example"},
        subject="Company-wide virtual background",
        body="Can we require the company background for all employees?")  # fmt: skip
    add("MW-2004", d(days=11, hours=22), "reply", by="sofia@meetwave.example",
        body="Yes: an admin can lock it under account settings, Background.")  # fmt: skip
    add("MW-2004", d(days=11), "status", status="resolved", by="sofia@meetwave.example")
    add("MW-2004", d(days=10), "status", status="closed", by="sofia@meetwave.example")
    # Raised to P1 two hours in: the one-hour promise was already overdue, breached at once.
    add("MW-2005", h(30), "received", org="baltyk-media", channel="web", priority="P3",
        **{"from": "jakub@baltyk-media.pl.example"},
        subject="Echo in webinar audio", body="Panelists hear an echo.")  # fmt: skip
    add("MW-2005", h(28), "priority", priority="P1", by="tomasz@meetwave.example")
    add("MW-2005", h(27) + m(50), "reply", by="tomasz@meetwave.example",
        body="A fix for the echo is rolling out; please restart the client.")  # fmt: skip
    add("MW-2005", h(20), "status", status="resolved", by="tomasz@meetwave.example")

    # TechOpieka: the hotline's two working hours.
    add("TO-3001", m(30), "received", org="kancelaria-nowak", channel="phone", priority="P2",
        **{"from": "+48221000401", "to": "+48221000500"},
        subject="Drukarka sieciowa nie drukuje",
        body="Rozmowa: drukarka w sekretariacie nie przyjmuje wydruków.")  # fmt: skip
    add("TO-3002", d(days=3), "received", org="piekarnia-zielinski", channel="phone",
        **{"from": "+48121000301", "to": "+48221000500"},
        subject="Komputer w sklepie nie startuje",
        body="Rozmowa: komputer przy kasie nie uruchamia się po burzy.")  # fmt: skip
    add("TO-3002", d(days=3) - m(20), "reply", by="katarzyna@techopieka.example",
        body="Zdalnie nie da się połączyć; przekazuję do serwisu.")  # fmt: skip
    add("TO-3002", d(days=3) - m(21), "assign", to="marek@techopieka.example", level="L2",
        team="techopieka-serwis", by="katarzyna@techopieka.example")  # fmt: skip
    add("TO-3002", d(days=2), "status", status="resolved", by="marek@techopieka.example")
    add("TO-3003", h(20), "received", org="piekarnia-zielinski", channel="email",
        **{"from": "barbara@piekarnia-zielinski.pl.example", "to": "serwis@techopieka.example"},
        subject="Kopia zapasowa online", body="Ile kosztuje kopia zapasowa online?")  # fmt: skip
    add("TO-3003", h(19), "reply", by="katarzyna@techopieka.example",
        body="Wysłaliśmy cennik kopii zapasowej online na Pani adres.")  # fmt: skip
    return events
