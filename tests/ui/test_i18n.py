"""Three languages: complete catalogues, language chosen by the browser or the menu, dates
and numbers per locale, error pages a person understands in their language."""

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from supportdesk.tickets import display, services

PACKAGE = Path(settings.BASE_DIR)
#: The project's catalogue and the apps' own (each app's strings live beside it).
CATALOGUES = sorted(PACKAGE.glob("**/locale/*/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_every_app_with_strings_ships_polish_and_portuguese():
    shipped = {(po.parents[2], po.parents[1].name) for po in CATALOGUES}
    for locale in {po.parents[2] for po in CATALOGUES}:
        assert {(locale, "pl"), (locale, "pt")} <= shipped, locale


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_catalogue_is_complete_and_keeps_placeholders(path):
    catalogue = polib.pofile(str(path))
    assert catalogue.percent_translated() == 100
    assert not catalogue.fuzzy_entries()
    for entry in catalogue.translated_entries():
        wanted = set(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            wanted |= set(PLACEHOLDER.findall(entry.msgid_plural))
            for form in entry.msgstr_plural.values():
                assert set(PLACEHOLDER.findall(form)) <= wanted, entry.msgid
        else:
            assert set(PLACEHOLDER.findall(entry.msgstr)) == wanted, entry.msgid


@pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="GNU gettext is not installed (apt install gettext): source strings not re-extracted",
)
def test_catalogues_hold_every_string_of_the_source(tmp_path):
    """Extract the strings again (makemessages, into a copy): none may be missing a translation,
    and each must sit in the catalogue of the app it belongs to."""
    copy = tmp_path / "supportdesk"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    command = [sys.executable, "-m", "django", "makemessages", "-l", "pl", "-l", "pt"]
    command += ["--no-obsolete", "--ignore", "*/migrations/*"]
    environment = {**os.environ, "PYTHONPATH": str(tmp_path), "SUPPORTDESK_VAR": str(tmp_path)}
    done = subprocess.run(command, cwd=copy, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for extracted in sorted(copy.glob("**/locale/*/LC_MESSAGES/django.po")):
        missing = [e.msgid for e in polib.pofile(str(extracted)) if not e.translated()]
        assert not missing, f"{extracted.relative_to(copy)} lacks {missing[:5]}"


def test_compile_translations_builds_mo_files_with_polib(tmp_path, settings):
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="Queue", msgstr="Kolejka"))
    target = tmp_path / "pl" / "LC_MESSAGES"
    target.mkdir(parents=True)
    po.save(str(target / "django.po"))
    settings.LOCALE_PATHS = [tmp_path]
    call_command("compile_translations", verbosity=0)
    assert polib.mofile(str(target / "django.mo")).find("Queue").msgstr == "Kolejka"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "heading", "sign_in"),
    [
        ("pl-PL,pl;q=0.9", "Moje zgłoszenia", "Wyloguj się"),
        ("pt-PT", "Os meus pedidos", "Terminar sessão"),
    ],
)
def test_browser_language_chooses_the_pages_language(world, client, accept, heading, sign_in):
    client.force_login(world.member.user)
    page = client.get(reverse("my_cases"), HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert heading in page and sign_in in page
    assert f'<html lang="{accept[:2]}">' in page


@pytest.mark.django_db
def test_agent_pages_in_polish(world, client):
    case = services.open_case(subject="Drukarka", body="!", channel="web", contact=world.admin)
    client.force_login(world.agent)
    client.cookies["supportdesk_language"] = "pl"
    counts = client.get(reverse("queue_counts")).content.decode()
    assert "1 otwarte zgłoszenie" in counts and "Po terminie" in counts
    queue = client.get(reverse("queue")).content.decode()
    assert "Kolejka" in queue and "1 otwarte zgłoszenie" in queue  # counts cached meanwhile
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Zegary SLA" in page and "Pierwsza odpowiedź" in page and "Objęte planem" in page
    dashboard = client.get(reverse("sla_dashboard")).content.decode()
    assert "Panel SLA" in dashboard


@pytest.mark.django_db
def test_dates_and_numbers_follow_the_locale(world):
    due = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # a Tuesday, 17:00 Lisbon
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    from django.utils import timezone

    with timezone.override("Europe/Lisbon"):
        for language, expected in (
            ("en", "Tuesday 17:00"),
            ("pl", "wtorek, 17:00"),
            ("pt", "terça-feira às 17:00"),
        ):
            with translation.override(language):
                assert display.promise_time(due, now) == expected
        with translation.override("pl"):
            assert display.span(due - now) == "1 dn. 8 godz."
            assert display.local_format(due, "DATETIME_FORMAT") == "24 listopada 2026 17:00"
        with translation.override("pt"):
            assert display.local_format(due, "DATE_FORMAT") == "24 de novembro de 2026"


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_not_found_page_speaks_the_visitors_language(world, client):
    client.force_login(world.outsider.user)
    response = client.get("/cases/424242/", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 404
    assert "Nie możemy znaleźć tej strony" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Something went wrong on our side"), ("pt", "Algo correu mal do nosso lado")],
)
def test_server_error_page_is_translated(rf, language, text):
    from django.views.defaults import server_error

    with translation.override(language):
        response = server_error(rf.get("/"))
    assert response.status_code == 500 and text in response.content.decode()


@pytest.mark.django_db
def test_expired_form_page_is_translated(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "x"}, HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 403 and "Formularz wygasł" in response.content.decode()


def _texts_in(value, path: str = ""):
    """Every per-language text of a world spec (a mapping of languages with an English text),
    with where it is."""
    languages = {code for code, _name in settings.LANGUAGES}
    if dataclasses.is_dataclass(value):
        for item in dataclasses.fields(value):
            yield from _texts_in(getattr(value, item.name), f"{path}.{item.name}")
    elif isinstance(value, dict):
        if value and "en" in value and set(value) <= languages:
            yield path, value
        else:
            for key, item in value.items():
                yield from _texts_in(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _texts_in(item, f"{path}[{index}]")


@pytest.mark.django_db
def test_the_demo_worlds_texts_speak_every_language():
    """Data people read (priority definitions, help-centre categories, menus, request types)
    is translated like the code's strings: a world-file text written in English only fails."""
    from supportdesk.world.demo import DEMO_WORLD
    from supportdesk.world.loader import check_text

    spec = check_text(DEMO_WORLD.read_text(encoding="utf-8"), str(DEMO_WORLD))
    texts = dict(_texts_in(spec))
    assert any(".priority_definitions" in path for path in texts)
    assert any(path.startswith(".knowledge_categories") for path in texts)
    languages = {code for code, _name in settings.LANGUAGES}
    untranslated = {
        path: sorted(languages - set(t)) for path, t in texts.items() if set(t) != languages
    }
    assert not untranslated, untranslated
