"""Load, once, what a first request would otherwise load: the server's master process calls
``warm()`` before it forks its workers, and every worker starts with it in memory.

Left to the first request, importing the URL configuration (every app's views and the API's
schemas), compiling the templates, reading the translation catalogues and the public holidays
of the calendars' countries take seconds; the person who happens to send it waits for all of
them. The one database read (the calendars) is closed before the workers are forked, so they
share no connection."""

import os
from datetime import UTC, datetime
from pathlib import Path


def warm() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
    # Django set up and the WSGI handler built, middleware and all: the workers import it.
    from django.db import connections

    from supportdesk import wsgi  # noqa: F401

    _urls()
    _translations()
    _templates()
    _calendars()
    connections.close_all()


def _urls() -> None:
    """Import the URL configuration and fill the resolvers' caches (once per language)."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018 - the property fills the cache


def _translations() -> None:
    """Read every language's catalogues and date formats."""
    from django.conf import settings
    from django.utils import formats, translation

    instant = datetime(2026, 1, 1, tzinfo=UTC)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Support desk")
            formats.date_format(instant, "SHORT_DATETIME_FORMAT")
            formats.number_format(1.5, 2)


def _templates() -> None:
    """Compile every HTML template into the cached loader, as a first page would one by one."""
    from django.template import TemplateSyntaxError, engines

    for engine in engines.all():
        dirs = [Path(d) for d in engine.template_dirs]
        for root in dirs:
            for path in root.rglob("*.html"):
                try:
                    engine.get_template(str(path.relative_to(root)))
                except TemplateSyntaxError:
                    continue  # a broken template fails its own page, not the server's start


def _calendars() -> None:
    """Build every calendar's working-time kernel, with its country's public holidays."""
    from django.db import DatabaseError

    from supportdesk.plans.models import BusinessCalendar, kernel_for

    try:
        for calendar in BusinessCalendar.objects.all():
            kernel_for(calendar)
    except DatabaseError:  # not migrated yet: the first page builds them
        return
