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

from supportdesk.accounts.models import User
from supportdesk.knowledge.choices import ArticleStatus, Visibility
from supportdesk.knowledge.models import Article, ArticleRevision, Category, IndexState, Vote
from supportdesk.plans.models import Plan

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
LANG_PATTERN = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
RECORD_FIELDS = ("id", "lang", "title", "body", "source")
OPTIONAL_FIELDS = ("group", "categories", "visibility", "plans", "status")

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
    author: User | None = None,
    note: str = "",
    at: datetime | None = None,
    bump: bool = True,
) -> tuple[Article, bool]:
    """Create or update an article by its key; returns (article, changed).

    ``None`` leaves a field as it is (new articles get the defaults). A change leaves a
    revision; an unchanged save leaves nothing, so re-importing a file is a no-op.
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

    article = Article.objects.select_for_update().filter(external_id=external_id).first()
    created = article is None
    if created:
        article = Article(
            external_id=external_id,
            group=group or external_id,
            created_at=at,
            status=ArticleStatus.DRAFT,
            visibility=Visibility.PUBLIC,
        )
    values = {"lang": lang, "title": title, "body": body}
    if group is not None:
        values["group"] = group
    if source is not None:
        values["source"] = source[:300]
    if status is not None:
        values["status"] = status
    if visibility is not None:
        values["visibility"] = visibility
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


@dataclass(frozen=True)
class Problem:
    index: int
    key: str
    message: str

    def __str__(self) -> str:
        key = self.key or "?"
        return _("record %(index)s (%(key)s): %(message)s") % {
            "index": self.index,
            "key": key,
            "message": self.message,
        }


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


def _text_field(record: dict, name: str, problems: list, index: int, key: str, limit: int = 0):
    value = record.get(name)
    if not isinstance(value, str):
        problems.append(Problem(index, key, _("%(f)s must be a string") % {"f": name}))
        return
    if name in ("title", "body") and not value.strip():
        problems.append(Problem(index, key, _("%(f)s is empty") % {"f": name}))
    if limit and len(value) > limit:
        problems.append(
            Problem(
                index, key, _("%(f)s is longer than %(n)s characters") % {"f": name, "n": limit}
            )
        )


def validate_records(records: Any) -> list[Problem]:
    """Every problem in a kb.json-style list, by record index (from 0) and key."""
    if not isinstance(records, list):
        return [Problem(-1, "", _("the file must hold a JSON list of articles"))]
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    plan_slugs = set(Plan.objects.values_list("slug", flat=True))
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            problems.append(Problem(index, "", _("not a JSON object")))
            continue
        key = record.get("id") if isinstance(record.get("id"), str) else ""
        unknown = set(record) - set(RECORD_FIELDS) - set(OPTIONAL_FIELDS)
        if unknown:
            problems.append(
                Problem(index, key, _("unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
            )
        for name in RECORD_FIELDS:
            if name not in record and name != "source":
                problems.append(Problem(index, key, _("missing %(f)s") % {"f": name}))
        if "id" in record:
            if not isinstance(record["id"], str) or not KEY_PATTERN.match(record["id"]):
                problems.append(
                    Problem(index, key, _("id must be 1-200 letters, digits, '.', '-' or '_'"))
                )
            elif record["id"] in seen:
                problems.append(
                    Problem(
                        index,
                        key,
                        _("id already used by record %(i)s") % {"i": seen[record["id"]]},
                    )
                )
            else:
                seen[record["id"]] = index
        if "lang" in record and (
            not isinstance(record["lang"], str) or not LANG_PATTERN.match(record["lang"])
        ):
            problems.append(Problem(index, key, _("lang must be a code such as pl, pt or en")))
        if "title" in record:
            _text_field(record, "title", problems, index, key, 300)
        if "body" in record:
            _text_field(record, "body", problems, index, key)
        if "source" in record:
            _text_field(record, "source", problems, index, key, 300)
        if "group" in record and (
            not isinstance(record["group"], str) or not KEY_PATTERN.match(record["group"])
        ):
            problems.append(Problem(index, key, _("group must be a key like id")))
        if "visibility" in record and record["visibility"] not in Visibility.values:
            problems.append(
                Problem(
                    index,
                    key,
                    _("visibility must be one of %(v)s") % {"v": ", ".join(Visibility.values)},
                )
            )
        if "status" in record and record["status"] not in ArticleStatus.values:
            problems.append(
                Problem(
                    index,
                    key,
                    _("status must be one of %(v)s") % {"v": ", ".join(ArticleStatus.values)},
                )
            )
        for name in ("categories", "plans"):
            if name in record:
                value = record[name]
                if not isinstance(value, list) or not all(
                    isinstance(v, str) and KEY_PATTERN.match(v) for v in value
                ):
                    problems.append(
                        Problem(index, key, _("%(f)s must be a list of keys") % {"f": name})
                    )
                elif name == "plans" and set(value) - plan_slugs:
                    missing = ", ".join(sorted(set(value) - plan_slugs))
                    problems.append(Problem(index, key, _("unknown plans: %(p)s") % {"p": missing}))
        if record.get("visibility") == Visibility.PLANS and not record.get("plans"):
            problems.append(Problem(index, key, _("visibility 'plans' needs a list of plans")))
    return problems


def import_records(
    records: Any, *, note: str = "", author: User | None = None, at: datetime | None = None
) -> ImportReport:
    """Create or update articles from kb.json-style records, all or nothing.

    Records without ``status`` are published (a file of articles is meant to be read);
    optional fields a record leaves out keep their current values.
    """
    problems = validate_records(records)
    if problems:
        raise ImportRejected(problems)
    at = at or timezone.now()
    report = ImportReport()
    with transaction.atomic():
        existing = set(
            Article.objects.filter(external_id__in=[r["id"] for r in records]).values_list(
                "external_id", flat=True
            )
        )
        for record in records:
            _article, changed = save_article(
                record["id"],
                lang=record["lang"],
                title=record["title"],
                body=record["body"],
                source=record.get("source", ""),
                group=record.get("group"),
                status=record.get("status", ArticleStatus.PUBLISHED),
                visibility=record.get("visibility"),
                plans=record.get("plans"),
                categories=record.get("categories"),
                author=author,
                note=note,
                at=at,
                bump=False,
            )
            if record["id"] not in existing:
                report.created.append(record["id"])
            elif changed:
                report.updated.append(record["id"])
            else:
                report.unchanged.append(record["id"])
        if report.created or report.updated:
            IndexState.bump()
    return report


def export_records(articles: QuerySet[Article] | None = None) -> list[dict]:
    """The import format back: the five kb.json fields, plus optional ones when not default."""
    articles = (articles if articles is not None else Article.objects.all()).prefetch_related(
        "plans", "categories"
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
        out.append(record)
    return out
