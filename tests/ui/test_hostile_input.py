"""Hostile input gets a 4xx with a reason, never a server error.

The walk covers every URL pattern Django's resolver knows (the admin site included), with real
and hostile values in each path parameter, as each kind of visitor, by GET and POST. Each query
or form parameter a view reads (learnt by watching the request's QueryDicts on a first, plain
request) is then sent with every hostile value. It runs on SQLite and, in the PostgreSQL pass,
on PostgreSQL, which refuses NUL characters that SQLite stores.
"""

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from supportdesk.accounts import services as accounts
from supportdesk.accounts.models import User
from supportdesk.channels.chat import services as chat
from supportdesk.channels.email import intake
from supportdesk.knowledge import services as knowledge
from supportdesk.knowledge.choices import ArticleStatus
from supportdesk.tickets import services
from tests.factories import World

#: Values a form, a query or a path may carry from someone probing the desk.
HOSTILE = (
    "a\x00b",
    "9999-12",
    "0001-01",
    "-1",
    "99999999999999999999999",
    "abc",
    "a\r\nBcc: probe@attacker.example",
    "x" * 260,
    "\u202e\ufeff𝔘",
)
#: The admin site is big and its views are Django's: fewer values, for what breaks databases.
ADMIN_HOSTILE = ("a\x00b", "99999999999999999999999")
#: Hostile values for a path parameter, as far as its converter lets them through; a month's own.
PATH_HOSTILE = ("0", "99999999999999999999999", "no-such-thing", "\x00", "x" * 300)
MONTH_HOSTILE = ("9999-12", "0001-01", "2026-13")
ADMIN_PATH_HOSTILE = ("\x00",)
#: The walk takes about 35 s on two busy cores; the bound catches a walk grown out of hand.
BUDGET_SECONDS = 120

_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


# --- what a view reads ------------------------------------------------------------------------


_read: set[tuple[int, str]] = set()


def _watching(method):
    def watched(self, key, *args, **kwargs):
        if isinstance(key, str):
            _read.add((id(self), key))
        return method(self, key, *args, **kwargs)

    return watched


@pytest.fixture
def watched_parameters(monkeypatch) -> set[tuple[int, str]]:
    """Every key a view looks up in a QueryDict is noted, with the QueryDict it looked in."""
    for name in ("get", "getlist", "__getitem__", "__contains__"):
        monkeypatch.setattr(QueryDict, name, _watching(getattr(QueryDict, name)))
    return _read


def read_from(watched: set[tuple[int, str]], values: QueryDict) -> list[str]:
    return sorted(key for source, key in watched if source == id(values))


# --- the site ---------------------------------------------------------------------------------


@dataclass
class Site:
    world: World
    superuser: User
    #: Real values for path parameters, by parameter name ("" for any name).
    real: dict[str, list[str]] = field(default_factory=dict)


@pytest.fixture
def site(world: World) -> Site:
    """The world, with one of each thing a URL can name."""
    now = timezone.now()
    case = services.open_case(
        subject="Servidor em baixo", body="Desde as 9h.", channel="web", contact=world.admin
    )
    article, _changed = knowledge.save_article(
        "hostile-probe",
        lang="en",
        title="Resetting a router",
        body="Hold the button for ten seconds.",
        status=ArticleStatus.PUBLISHED,
    )
    knowledge.save_article(
        "hostile-probe", lang="en", title="Resetting a router", body="Hold it for 30 s."
    )
    conversation = chat.start(user=world.admin.user, language="en")
    chat.customer_says(conversation, "How do I reset a router?")  # loads the search index
    email = intake.store(b"Subject: probe\r\nMessage-ID: <p@x>\r\n\r\nprobe\r\n", now=now)
    _, secret = accounts.invite_contact(
        world.org, email="nova@cliente-b.pt", role="member", invited_by=world.admin.user
    )
    entry_ids = []
    try:
        from supportdesk.billing.services import record_work

        entry = record_work(
            case, world.agent, now - timedelta(hours=1), now - timedelta(minutes=30)
        )
        entry_ids.append(str(entry.pk))
    except Exception:  # billing refuses this world's span: time-entry pages get only ids
        pass
    superuser = User.objects.create_superuser("root@webplug.example", "secret-pass-123")
    ids = {str(case.pk), str(conversation.pk), str(email.pk), *entry_ids}
    return Site(
        world,
        superuser,
        {
            "": sorted(ids),
            "key": [article.external_id],
            "secret": [secret],
            "slug": [world.org.slug, world.plan.slug],
            "organization": [world.org.slug],
            "month": ["2026-03"],
            "kind": ["csv", "pdf", "menu"],
        },
    )


def patterns(resolvers=None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from patterns(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def fits(converter_regex: str, value: str) -> bool:
    return re.fullmatch(converter_regex, value) is not None


def urls(route: str, pattern: URLPattern, site: Site, admin: bool) -> Iterator[tuple[str, bool]]:
    """(url, all values real) for a route: first every parameter real, then each in turn
    hostile (or another real value) while the others stay real."""
    converters = getattr(pattern.pattern, "converters", {})
    names = [m["name"] for m in _PARAMETER.finditer(route)]
    choices: dict[str, list[str]] = {}
    for name in names:
        regex = converters[name].regex if name in converters else "[^/]+"
        real = site.real.get(name) or site.real[""]
        if name in ("token", "uidb64", "content_type_id", "object_id"):
            real = site.real[""]
        fitting = [v for v in real if fits(regex, v)] or [v for v in PATH_HOSTILE if fits(regex, v)]
        pool = ADMIN_PATH_HOSTILE if admin else MONTH_HOSTILE if name == "month" else PATH_HOSTILE
        hostile = [v for v in pool if fits(regex, v) and v not in fitting]
        choices[name] = fitting + hostile

    def build(values: dict[str, str]) -> str:
        return "/" + _PARAMETER.sub(lambda m: quote(values[m["name"]], safe=""), route)

    base = {name: values[0] for name, values in choices.items()}
    yield build(base), True
    for name, values in choices.items():
        for value in values[1:]:
            yield build({**base, name: value}), value in (site.real.get(name) or site.real[""])


# --- the walk ---------------------------------------------------------------------------------


@dataclass
class Walk:
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def send(self, client: Client, who: str, method: str, url: str, query=None, form=None):
        """One request, forms urlencoded as browsers and the chat widget send them."""
        self.requests += 1
        target = f"{url}?{urlencode(query)}" if query else url
        try:
            if method == "GET":
                response = client.get(target)
            else:
                body = urlencode(form or {})
                response = client.post(
                    target, body, content_type="application/x-www-form-urlencoded"
                )
        except Exception as exc:  # the view raised: the visitor would get a 500
            self.failures.append(f"{who} {method} {target[:200]} {_short(form)}: {exc!r}"[:500])
            return None
        if response.status_code >= 500:
            self.failures.append(f"{who} {method} {target[:200]} {_short(form)}: 500")
        return response


def _short(data: dict | None) -> str:
    return repr({k: v[:30] for k, v in data.items()}) if data else ""


def _reached(response) -> bool:
    """The view's own logic ran: not a sign-in redirect, a method refusal or a gate."""
    if response is None:
        return True
    location = response.get("Location", "")
    return response.status_code not in (401, 403, 405) and "/login/" not in location


@pytest.mark.django_db
def test_no_url_answers_hostile_input_with_a_server_error(site, watched_parameters):
    world = site.world
    people = {
        "anonymous": None,
        "customer admin": world.admin.user,
        "agent": world.agent,
        "superuser": site.superuser,
    }
    clients = {}
    for who, user in people.items():
        clients[who] = Client(raise_request_exception=True)
        if user is not None:
            clients[who].force_login(user)
    walk = Walk()
    started = time.monotonic()
    for route, pattern in patterns():
        admin = route.startswith("admin/")
        visitors = ["superuser"] if admin else ["anonymous", "customer admin", "agent"]
        values = ADMIN_HOSTILE if admin else HOSTILE
        reached: set[tuple[str, str]] = set()  # who got past the view's gate, by which method
        # The admin's lists and pages are Django's own; its forms are where the desk's code is.
        methods = ("GET", "POST") if not admin or route.endswith(("add/", "change/")) else ("GET",)
        for url, real in urls(route, pattern, site, admin):
            for who in visitors:
                client = clients[who]
                for method in methods:
                    if not real and (who, method) not in reached:
                        continue
                    watched_parameters.clear()
                    response = walk.send(client, who, method, url)
                    if not real or response is None or not _reached(response):
                        continue
                    reached.add((who, method))
                    request = response.wsgi_request
                    in_query = read_from(watched_parameters, request.GET)
                    in_form = read_from(watched_parameters, request.POST)
                    if method == "POST" and not in_form:
                        continue  # the query alone: the GET walk tried it
                    for value in values if in_query or in_form else ():
                        query, form = dict.fromkeys(in_query, value), dict.fromkeys(in_form, value)
                        walk.send(client, who, method, url, query, form)
        if pattern.name == "logout":  # the walk signed everyone out: back in
            for who, user in people.items():
                if user is not None:
                    clients[who].force_login(user)
    elapsed = time.monotonic() - started
    print(f"{walk.requests} requests in {elapsed:.1f} s")
    assert not walk.failures, f"{len(walk.failures)} server errors:\n" + "\n".join(walk.failures)
    assert walk.requests > 1500  # the walk found the site
    assert elapsed < BUDGET_SECONDS, f"{walk.requests} requests took {elapsed:.0f} s"


# --- what the walk found, one by one ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
def test_a_month_the_calendars_do_not_cover_is_refused_with_the_range(world, month):
    agent, admin = Client(), Client()
    agent.force_login(world.agent)
    admin.force_login(world.admin.user)
    slug = world.org.slug
    pages = {
        "statement": agent.get(reverse("billing:org_statement", args=[slug]), {"month": month}),
        "own statement": admin.get(reverse("billing:my_statement"), {"month": month}),
        "closing": agent.post(reverse("billing:month_close", args=[slug, month]), follow=True),
        "dashboard": agent.get(reverse("sla_dashboard"), {"month": month}),
        "dashboard csv": agent.get(reverse("sla_dashboard_csv"), {"month": month}),
        "api": agent.get(f"/api/billing/statements/{slug}/{month}"),
    }
    for name, page in pages.items():
        assert page.status_code == 400, name
        assert "1901-01 to 2199-12" in page.content.decode(), name
    files = [
        agent.get(reverse("billing:org_statement_file", args=[slug, month, "csv"])),
        admin.get(reverse("billing:my_statement_file", args=[month, "pdf"])),
    ]
    assert [f.status_code for f in files] == [404, 404]


@pytest.mark.django_db
def test_the_language_menu_sends_a_bare_word_home(client):
    response = client.post(reverse("switch_language"), {"language": "pl", "next": "foo"})
    assert response.status_code == 302 and response.url == "/"


@pytest.mark.django_db
def test_restoring_a_revision_that_is_not_a_number_is_a_bad_request(world, client):
    knowledge.save_article("router", lang="en", title="Router", body="Hold the button.")
    client.force_login(world.agent)
    response = client.post(reverse("desk_kb_history", args=["router"]), {"number": "abc"})
    assert response.status_code == 400
    assert "Choose a revision by its number." in response.content.decode()


@pytest.mark.django_db
def test_a_nul_character_is_refused_before_it_reaches_the_database(world, client):
    knowledge.save_article("router", lang="en", title="Router", body="Hold the button.")
    form = "application/x-www-form-urlencoded"
    answers = {
        "chat": client.post(reverse("chat_send"), "message=ol%C3%A1%00", content_type=form),
        "article": client.get("/kb/article/router%00/"),
        "search": client.get(reverse("kb"), {"q": "router\x00"}),
        "search json": client.get(reverse("kb_search_json"), {"q": "\x00"}),
    }
    for name, answer in answers.items():
        assert answer.status_code == 400, name
        assert "NUL character" in answer.content.decode(), name
