"""Knowledge-base articles: translations, visibility, drafts with history, usefulness votes."""

import uuid
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import (
    Action,
    AllBrands,
    RestrictedQuerySet,
    brand_scope,
    works_the_desk,
)
from supportdesk.accounts.models import Brand, User
from supportdesk.accounts.texts import in_language
from supportdesk.knowledge.choices import ArticleStatus, Visibility
from supportdesk.plans.choices import Entitlement
from supportdesk.plans.contracts import in_force
from supportdesk.plans.entitlements import may
from supportdesk.plans.models import Plan


@dataclass(frozen=True)
class Audience:
    """Who is reading, as far as visibility cares: agents, customers (with their plans), others.

    One value object for the SQL filter (``visible_to``) and the search index's mask, so the
    portal page and the chatbot can never disagree about what a person may read. ``brands``:
    the brands whose articles they read besides unbranded ones (None: every brand; visitors
    who have not signed in read every brand's public articles).
    """

    agent: bool = False
    customer: bool = False
    plans: frozenset[str] = field(default_factory=frozenset)
    brands: frozenset[int] | None = None

    @classmethod
    def of(cls, user: User | AnonymousUser | None) -> "Audience":
        if user is None or not user.is_authenticated:
            return cls()
        if works_the_desk(user):
            scope = brand_scope(user)
            if isinstance(scope, AllBrands):
                return cls(agent=True)
            return cls(agent=True, brands=frozenset() if scope is None else frozenset({scope}))
        contact = user.contact_or_none
        if contact is None:
            return cls()
        contract = in_force(contact.organization_id)
        plan = contract.plan if contract is not None else None
        # The matrix: the help centre's customer articles, and on top the plan's own guides.
        customer = may(plan, contact.role, Entitlement.HELP_CENTER)
        guides = plan is not None and may(plan, contact.role, Entitlement.SELF_SERVICE)
        plans = frozenset({plan.slug}) if plan is not None and guides else frozenset()
        brand = contact.organization.brand_id
        brands: frozenset[int] = frozenset() if brand is None else frozenset({brand})
        return cls(customer=customer, plans=plans, brands=brands)

    def allows(
        self, visibility: str, plans: frozenset[str] | set[str], brand: int | None = None
    ) -> bool:
        if self.brands is not None and brand is not None and brand not in self.brands:
            return False
        if self.agent or visibility == Visibility.PUBLIC:
            return True
        if visibility == Visibility.CUSTOMERS:
            return self.customer
        if visibility == Visibility.PLANS:
            return self.customer and bool(self.plans & set(plans))
        return False

    @property
    def key(self) -> tuple:
        brands = None if self.brands is None else tuple(sorted(self.brands))
        return (self.agent, self.customer, tuple(sorted(self.plans)), brands)


class Category(models.Model):
    slug = models.SlugField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(
        _("name per language"),
        default=dict,
        blank=True,
        help_text=_('Where the name differs by language, e.g. {"pl": "...", "pt": "..."}.'),
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name_in()

    def name_in(self, language: str | None = None) -> str:
        """The name readers see in their (or the given) language; the written name otherwise."""
        return in_language(self.names, language) or self.name


class ArticleQuerySet(RestrictedQuerySet["Article"]):
    """Agents edit their brand's articles (and unbranded ones); reading goes by ``Audience``,
    which also admits visitors who have not signed in to public articles."""

    def published(self) -> "ArticleQuerySet":
        return self.filter(status=ArticleStatus.PUBLISHED)

    def for_audience(self, audience: Audience) -> "ArticleQuerySet":
        """Published articles this audience may read (agents: drafts too)."""
        articles = self
        if audience.brands is not None:
            articles = self.filter(Q(brand__isnull=True) | Q(brand__in=audience.brands))
        if audience.agent:
            return articles
        allowed = Q(visibility=Visibility.PUBLIC)
        if audience.customer:
            allowed |= Q(visibility=Visibility.CUSTOMERS)
            if audience.plans:
                allowed |= Q(visibility=Visibility.PLANS, plans__slug__in=audience.plans)
        return articles.published().filter(allowed).distinct()

    def visible_to(self, user: User | AnonymousUser | None) -> "ArticleQuerySet":
        return self.for_audience(Audience.of(user))

    def restrict(
        self, user: User | AnonymousUser | None, action: Action = Action.VIEW
    ) -> "ArticleQuerySet":
        if action == Action.VIEW:
            return self.visible_to(user)
        return super().restrict(user, action)


class Article(models.Model):
    """One article in one language; ``group`` links it to its translations."""

    external_id = models.CharField(
        _("key"),
        max_length=200,
        unique=True,
        help_text=_("Stable key used by imports, exports and links; never reused."),
    )
    group = models.CharField(
        _("translation group"),
        max_length=200,
        db_index=True,
        help_text=_("Articles sharing this key are translations of each other."),
    )
    lang = models.CharField(_("language"), max_length=8, db_index=True)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body (Markdown)"))
    body_html = models.TextField(editable=False, default="")
    source = models.CharField(_("source"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    visibility = models.CharField(
        _("visible to"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    plans = models.ManyToManyField(
        Plan, blank=True, related_name="articles", verbose_name=_("plans")
    )
    brand = models.ForeignKey(
        Brand,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("brand"),
        help_text=_("The provider whose customers read it; empty: every brand's."),
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="articles", verbose_name=_("categories")
    )
    useful_yes = models.PositiveIntegerField(default=0, editable=False)
    useful_no = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(editable=False)
    updated_at = models.DateTimeField(editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Search vectors (see knowledge.index): valid while ``vectors_key`` matches the text.
    vectors = models.BinaryField(null=True, editable=False)
    vectors_key = models.CharField(max_length=64, blank=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["group", "lang"]
        indexes = [models.Index(fields=["status", "visibility"])]

    def __str__(self) -> str:
        return self.title

    @property
    def votes(self) -> int:
        return self.useful_yes + self.useful_no

    @property
    def useful_share(self) -> float | None:
        return self.useful_yes / self.votes if self.votes else None


class ArticleRevision(models.Model):
    """A saved state of an article: every save, import and status change leaves one."""

    article = models.ForeignKey(Article, models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    author = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=ArticleStatus.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="revision_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class Vote(models.Model):
    """'Was this useful?': one vote per person (or per anonymous session), changeable."""

    article = models.ForeignKey(Article, models.CASCADE, related_name="vote_set")
    user = models.ForeignKey(User, models.CASCADE, null=True, blank=True, related_name="+")
    session_key = models.CharField(max_length=64, blank=True)
    useful = models.BooleanField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="vote_per_user"
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=Q(user__isnull=True),
                name="vote_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.useful else 'no'}"


class IndexState(models.Model):
    """One row whose token changes in the same transaction as any change search should see.

    Every process keeps its index in memory and compares this token before a search, so an
    edit in one web worker reaches the chatbot in all of them without a message bus. A random
    token rather than a counter: a rolled-back transaction can never make an old number
    mean new content.
    """

    token = models.CharField(max_length=32, default="")

    def __str__(self) -> str:
        return f"index {self.token}"

    @classmethod
    def current(cls) -> str:
        return cls.objects.filter(pk=1).values_list("token", flat=True).first() or ""

    @classmethod
    def bump(cls) -> None:
        token = uuid.uuid4().hex
        if not cls.objects.filter(pk=1).update(token=token):
            cls.objects.update_or_create(pk=1, defaults={"token": token})
