"""The only write path for the knowledge base: saves with history, imports, votes.

Every change search must see bumps ``IndexState`` in the same transaction, so each process's
in-memory index notices it before its next search.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import markdown
import nh3
from django.db import IntegrityError, transaction
from django.db.models import F, FloatField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Brand, User
from supportdesk.knowledge.choices import ArticleStatus, Visibility
from supportdesk.knowledge.models import Article, ArticleRevision, Category, IndexState, Vote
from supportdesk.knowledge.records import KEY_PATTERN, LANG_PATTERN, Problem, read_records
from supportdesk.plans.models import Plan
from supportdesk.plans.services import Change

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "abbr": {"title"},
}


def render_markdown(body: str) -> str:
    """Markdown to HTML that is safe to show: nh3 drops scripts, handlers and odd URLs.

    Headings start at h2 (the page's h1 is the title); raw HTML in the source is escaped.
    """
    html = markdown.markdown(
        body.replace("\r\n", "\n"),
        extensions=["tables", "sane_lists", "fenced_code"],
        output_format="html",
    )
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


class KnowledgeError(ValueError):
    """A write that breaks a rule of the knowledge base; the message is for people."""


def _check_key(value: Any, what: str) -> str:
    if not isinstance(value, str) or not KEY_PATTERN.match(value):
        raise KnowledgeError(
            _("%(what)s must be 1-200 letters, digits, dots, dashes or underscores")
            % {"what": what}
        )
    return value


def _categories(slugs: Iterable[str]) -> list[Category]:
    out = []
    for slug in slugs:
        category, _created = Category.objects.get_or_create(
            slug=slug, defaults={"name": slug.replace("-", " ").capitalize()}
        )
        out.append(category)
    return out


@transaction.atomic
def save_category(slug: str, names: dict[str, str]) -> tuple[Category, Change]:
    """A category's name in each language (the world file's ``knowledge_categories``)."""
    name = names.get("en") or next(iter(names.values()), slug)
    category, created = Category.objects.get_or_create(
        slug=slug, defaults={"name": name, "names": names}
    )
    if created:
        return category, Change.CREATED
    if (category.name, category.names) == (name, names):
        return category, Change.UNCHANGED
    category.name, category.names = name, names
    category.save(update_fields=["name", "names"])
    return category, Change.UPDATED


def _revise(article: Article, author: User | None, at: datetime, note: str) -> ArticleRevision:
    last = article.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    return ArticleRevision.objects.create(
        article=article,
        number=last + 1,
        at=at,
        author=author,
        title=article.title,
        body=article.body,
        status=article.status,
        note=note[:300],
    )


@transaction.atomic
def save_article(
    external_id: str,
    *,
    lang: str,
    title: str,
    body: str,
    group: str | None = None,
    source: str | None = None,
    status: str | None = None,
    visibility: str | None = None,
    plans: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    brand: str | None = None,
    author: User | None = None,
    note: str = "",
    at: datetime | None = None,
    bump: bool = True,
) -> tuple[Article, bool]:
    """Create or update an article by its key; returns (article, changed).

    ``None`` leaves a field as it is (new articles get the defaults). A change leaves a
    revision; an unchanged save leaves nothing, so re-importing a file is a no-op.
    ``brand``: the key of the provider whose article it is; ``""``: every brand's.
    """
    at = at or timezone.now()
    _check_key(external_id, _("The key"))
    if group is not None:
        _check_key(group, _("The translation group"))
    if not isinstance(lang, str) or not LANG_PATTERN.match(lang):
        raise KnowledgeError(_("The language must be a code such as pl, pt or en"))
    title = (title or "").strip()
    if not title or len(title) > 300:
        raise KnowledgeError(_("The title must have 1-300 characters"))
    if status is not None and status not in ArticleStatus.values:
        raise KnowledgeError(_("Unknown status %(s)s") % {"s": status})
    if visibility is not None and visibility not in Visibility.values:
        raise KnowledgeError(_("Unknown visibility %(v)s") % {"v": visibility})
    plan_rows = None
    if plans is not None:
        plan_rows = list(Plan.objects.filter(slug__in=plans))
        missing = set(plans) - {p.slug for p in plan_rows}
        if missing:
            raise KnowledgeError(_("Unknown plans: %(p)s") % {"p": ", ".join(sorted(missing))})

    brand_id = None
    if brand:
        brand_id = Brand.objects.filter(slug=brand).values_list("pk", flat=True).first()
        if brand_id is None:
            raise KnowledgeError(_("Unknown brand %(b)s") % {"b": brand})

    article = Article.objects.select_for_update().filter(external_id=external_id).first()
    created = article is None
    if article is None:
        article = Article(
            external_id=external_id,
            group=group or external_id,
            created_at=at,
            status=ArticleStatus.DRAFT,
            visibility=Visibility.PUBLIC,
        )
    values: dict[str, object] = {"lang": lang, "title": title, "body": body}
    if group is not None:
        values["group"] = group
    if source is not None:
        values["source"] = source[:300]
    if status is not None:
        values["status"] = status
    if visibility is not None:
        values["visibility"] = visibility
    if brand is not None:
        values["brand_id"] = brand_id
    changed = created or any(getattr(article, k) != v for k, v in values.items())
    for name, value in values.items():
        setattr(article, name, value)
    if changed:
        article.body_html = render_markdown(article.body)
        article.updated_at = at
        if article.status == ArticleStatus.PUBLISHED and article.published_at is None:
            article.published_at = at
        article.save()
    if plan_rows is not None and {p.pk for p in plan_rows} != set(
        article.plans.values_list("pk", flat=True)
    ):
        article.plans.set(plan_rows)
        changed = True
    if categories is not None:
        rows = _categories(categories)
        if {c.pk for c in rows} != set(article.categories.values_list("pk", flat=True)):
            article.categories.set(rows)
            changed = True
    if changed:
        if not created:
            Article.objects.filter(pk=article.pk).update(updated_at=at)
        _revise(article, author, at, note or (_("created") if created else _("edited")))
        if bump:
            IndexState.bump()
    return article, changed


@transaction.atomic
def set_status(
    article: Article, status: str, *, author: User | None = None, at: datetime | None = None
) -> Article:
    """Publish or withdraw an article; the history records who did it."""
    at = at or timezone.now()
    if status not in ArticleStatus.values:
        raise KnowledgeError(_("Unknown status %(s)s") % {"s": status})
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status == status:
        return article
    article.status = status
    article.updated_at = at
    if status == ArticleStatus.PUBLISHED:
        article.published_at = at
    article.save(update_fields=["status", "updated_at", "published_at"])
    _revise(
        article,
        author,
        at,
        _("published") if status == ArticleStatus.PUBLISHED else _("unpublished"),
    )
    IndexState.bump()
    return article


@transaction.atomic
def restore_revision(
    article: Article, number: int, *, author: User | None = None, at: datetime | None = None
) -> Article:
    """Bring back the title and body of an earlier revision, as a new revision."""
    revision = article.revisions.get(number=number)
    saved, _changed = save_article(
        article.external_id,
        lang=article.lang,
        title=revision.title,
        body=revision.body,
        author=author,
        note=_("restored revision %(n)s") % {"n": number},
        at=at,
    )
    return saved


@transaction.atomic
def vote(
    article: Article,
    *,
    useful: bool,
    user: User | None = None,
    session_key: str = "",
    at: datetime | None = None,
) -> Article:
    """Record 'was this useful?'; voting again replaces the earlier vote, counts stay exact."""
    at = at or timezone.now()
    if user is not None and not user.is_authenticated:
        user = None
    if user is None and not session_key:
        raise KnowledgeError(_("A vote needs a person or a session"))
    lookup = {"user": user} if user is not None else {"user": None, "session_key": session_key}
    existing = Vote.objects.select_for_update().filter(article=article, **lookup).first()
    delta = {"useful_yes": 0, "useful_no": 0}
    if existing is None:
        try:
            with transaction.atomic():
                Vote.objects.create(article=article, useful=useful, at=at, **lookup)
        except IntegrityError:  # a double click raced us: the first vote stands
            return Article.objects.get(pk=article.pk)
        delta["useful_yes" if useful else "useful_no"] += 1
    elif existing.useful != useful:
        existing.useful, existing.at = useful, at
        existing.save(update_fields=["useful", "at"])
        delta["useful_yes" if useful else "useful_no"] += 1
        delta["useful_no" if useful else "useful_yes"] -= 1
    if any(delta.values()):
        Article.objects.filter(pk=article.pk).update(
            useful_yes=F("useful_yes") + delta["useful_yes"],
            useful_no=F("useful_no") + delta["useful_no"],
        )
    return Article.objects.get(pk=article.pk)


def least_useful(min_votes: int = 3) -> QuerySet[Article]:
    """Articles readers found least useful first: share of 'no', then number of votes."""
    return (
        Article.objects.annotate(votes_total=F("useful_yes") + F("useful_no"))
        .filter(votes_total__gte=min_votes)
        .annotate(share=Cast(F("useful_yes"), FloatField()) / Cast(F("votes_total"), FloatField()))
        .order_by("share", "-votes_total", "external_id")
    )


# ---------------------------------------------------------------- import and export


class ImportRejected(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _("%(c)s created, %(u)s updated, %(n)s unchanged") % {
            "c": len(self.created),
            "u": len(self.updated),
            "n": len(self.unchanged),
        }


def import_records(
    records: Any, *, note: str = "", author: User | None = None, at: datetime | None = None
) -> ImportReport:
    """Create or update articles from kb.json-style records, all or nothing.

    Records without ``status`` are published (a file of articles is meant to be read);
    optional fields a record leaves out keep their current values.
    """
    articles, problems = read_records(records)
    if problems:
        raise ImportRejected(problems)
    at = at or timezone.now()
    report = ImportReport()
    with transaction.atomic():
        existing = set(
            Article.objects.filter(external_id__in=[a.id for a in articles]).values_list(
                "external_id", flat=True
            )
        )
        for record in articles:
            _article, changed = save_article(
                record.id,
                lang=record.lang,
                title=record.title,
                body=record.body,
                source=record.source,
                group=record.group,
                status=record.status or ArticleStatus.PUBLISHED,
                visibility=record.visibility,
                plans=record.plans,
                categories=record.categories,
                brand=record.brand,
                author=author,
                note=note,
                at=at,
                bump=False,
            )
            if record.id not in existing:
                report.created.append(record.id)
            elif changed:
                report.updated.append(record.id)
            else:
                report.unchanged.append(record.id)
        if report.created or report.updated:
            IndexState.bump()
    return report


def export_records(articles: QuerySet[Article] | None = None) -> list[dict]:
    """The import format back: the five kb.json fields, plus optional ones when not default."""
    articles = (
        (articles if articles is not None else Article.objects.all())
        .prefetch_related("plans", "categories")
        .select_related("brand")
    )
    out = []
    for a in articles.order_by("external_id"):
        record: dict[str, Any] = {
            "id": a.external_id,
            "lang": a.lang,
            "title": a.title,
            "body": a.body,
            "source": a.source,
        }
        if a.group != a.external_id:
            record["group"] = a.group
        categories = sorted(c.slug for c in a.categories.all())
        if categories:
            record["categories"] = categories
        if a.visibility != Visibility.PUBLIC:
            record["visibility"] = a.visibility
        plans = sorted(p.slug for p in a.plans.all())
        if plans:
            record["plans"] = plans
        if a.status != ArticleStatus.PUBLISHED:
            record["status"] = a.status
        if a.brand is not None:
            record["brand"] = a.brand.slug
        out.append(record)
    return out
