"""Knowledge-base pages: the portal's help centre and the agents' editor. Thin: they read
through ``visible_to`` and the chatbot's search, and write through ``services``."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportdesk.accounts.access import Action, AuthenticatedHttpRequest, agent_required
from supportdesk.knowledge import chatbot, services
from supportdesk.knowledge.choices import ArticleStatus, Visibility
from supportdesk.knowledge.forms import ArticleForm, VoteForm
from supportdesk.knowledge.models import Article, Category

PAGE_SIZE = 50


def _one_per_group(articles, lang: str) -> list[Article]:
    """One article per translation group, in the reader's language when there is one."""
    chosen: dict[str, Article] = {}
    for article in articles:
        current = chosen.get(article.group)
        if current is None or (article.lang == lang and current.lang != lang):
            chosen[article.group] = article
    return sorted(chosen.values(), key=lambda a: a.title.lower())


def home(request: HttpRequest) -> HttpResponse:
    """The help centre: search, or every readable article by category."""
    query = request.GET.get("q", "").strip()[:300]
    lang = (get_language() or "en")[:2]
    if query:
        results = chatbot.search(query, user=request.user, lang=lang)
        articles = Article.objects.in_bulk([r.pk for r in results])
        found = [(articles[r.pk], r) for r in results if r.pk in articles]
        return render(request, "knowledge/home.html", {"query": query, "found": found})
    visible = Article.objects.visible_to(request.user).published().prefetch_related("categories")
    sections: dict[Category | None, list[Article]] = {}
    for article in _one_per_group(visible, lang):
        first = next(iter(article.categories.all()), None)
        sections.setdefault(first, []).append(article)
    ordered = sorted(sections.items(), key=lambda kv: (kv[0] is None, str(kv[0] or "")))
    return render(request, "knowledge/home.html", {"query": "", "sections": ordered})


def article(request: HttpRequest, key: str) -> HttpResponse:
    item = get_object_or_404(
        Article.objects.visible_to(request.user).prefetch_related("categories"), external_id=key
    )
    translations = (
        Article.objects.visible_to(request.user)
        .filter(group=item.group)
        .exclude(pk=item.pk)
        .order_by("lang")
    )
    my_vote = None
    if request.user.is_authenticated:
        my_vote = item.vote_set.filter(user=request.user).values_list("useful", flat=True).first()
    elif request.session.session_key:
        my_vote = (
            item.vote_set.filter(user=None, session_key=request.session.session_key)
            .values_list("useful", flat=True)
            .first()
        )
    return render(
        request,
        "knowledge/article.html",
        {"article": item, "translations": translations, "my_vote": my_vote},
    )


@require_POST
def vote(request: HttpRequest, key: str) -> HttpResponse:
    item = get_object_or_404(Article.objects.visible_to(request.user), external_id=key)
    form = VoteForm(request.POST)
    if form.is_valid():
        if not request.user.is_authenticated and not request.session.session_key:
            request.session.save()
        services.vote(
            item,
            useful=form.cleaned_data["useful"] == "yes",
            user=request.user if request.user.is_authenticated else None,
            session_key=request.session.session_key or "",
        )
        messages.success(request, _("Thank you for your feedback."))
    return redirect(reverse("kb_article", args=[item.external_id]) + "#feedback")


def search_json(request: HttpRequest) -> JsonResponse:
    """Search results as JSON, for scripts and widgets: what this person may read."""
    query = request.GET.get("q", "").strip()[:300]
    results = chatbot.search(query, user=request.user, lang=request.GET.get("lang") or None)
    return JsonResponse(
        {
            "results": [
                {
                    "article": r.article,
                    "title": r.title,
                    "lang": r.lang,
                    "score": round(r.score, 3),
                    "url": request.build_absolute_uri(reverse("kb_article", args=[r.article])),
                }
                for r in results
            ]
        }
    )


# ---------------------------------------------------------------- agents


@agent_required
def desk_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    articles = (
        Article.objects.restrict(request.user, Action.CHANGE)
        .prefetch_related("categories")
        .order_by("group", "lang")
    )
    status = request.GET.get("status", "")
    if status in ArticleStatus.values:
        articles = articles.filter(status=status)
    lang = request.GET.get("lang", "")
    if lang:
        articles = articles.filter(lang=lang)
    query = request.GET.get("q", "").strip()
    if query:
        articles = articles.filter(title__icontains=query) | articles.filter(
            external_id__icontains=query
        )
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/desk_list.html",
        {
            "page": page,
            "status": status,
            "lang": lang,
            "query": query,
            "statuses": ArticleStatus.choices,
        },
    )


def _new_article_brand(request: AuthenticatedHttpRequest) -> str:
    """An agent's new article is their brand's (every brand's, for an agent of none)."""
    brand = request.user.agent.brand
    return brand.slug if brand is not None else ""


@agent_required
def desk_edit(request: AuthenticatedHttpRequest, key: str | None = None) -> HttpResponse:
    editable = Article.objects.restrict(request.user, Action.CHANGE)
    item = get_object_or_404(editable, external_id=key) if key else None
    if request.method == "POST":
        data = request.POST.copy()
        if item is not None:
            data["external_id"] = item.external_id
        form = ArticleForm(data)
        if form.is_valid():
            d = form.cleaned_data
            if item is None and Article.objects.filter(external_id=d["external_id"]).exists():
                form.add_error("external_id", _("An article with this key exists already."))
            else:
                try:
                    saved, changed = services.save_article(
                        d["external_id"],
                        lang=d["lang"],
                        title=d["title"],
                        body=d["body"],
                        group=d["group"] or (item.group if item else d["external_id"]),
                        status=d["status"],
                        visibility=d["visibility"],
                        plans=[p.slug for p in d["plans"]],
                        categories=d["categories"],
                        brand=_new_article_brand(request) if item is None else None,
                        author=request.user,
                        note=d["note"],
                    )
                except services.KnowledgeError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, _("Saved.") if changed else _("Nothing changed."))
                    return redirect("desk_kb_edit", key=saved.external_id)
    elif item is not None:
        form = ArticleForm(
            initial={
                "external_id": item.external_id,
                "lang": item.lang,
                "group": item.group,
                "title": item.title,
                "body": item.body,
                "categories": ", ".join(c.slug for c in item.categories.all()),
                "visibility": item.visibility,
                "plans": list(item.plans.all()),
                "status": item.status,
            }
        )
    else:
        form = ArticleForm(initial={"lang": (get_language() or "en")[:2], "status": "draft"})
    if item is not None:
        form.fields["external_id"].disabled = True
    return render(request, "knowledge/desk_edit.html", {"form": form, "article": item})


@agent_required
def desk_history(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    item = get_object_or_404(Article.objects.restrict(request.user, Action.CHANGE), external_id=key)
    if request.method == "POST":
        text = request.POST.get("number", "")
        if not text.isascii() or not text.isdigit() or len(text) > 9:
            return HttpResponseBadRequest(_("Choose a revision by its number."))
        number = int(text)
        if not item.revisions.filter(number=number).exists():
            raise Http404
        services.restore_revision(item, number, author=request.user)
        messages.success(request, _("Revision %(n)s restored as a new revision.") % {"n": number})
        return redirect("desk_kb_history", key=key)
    revisions = item.revisions.select_related("author")
    return render(request, "knowledge/desk_history.html", {"article": item, "revisions": revisions})


@agent_required
def desk_report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The least useful articles: what readers voted down, worst first."""
    try:
        min_votes = max(1, int(request.GET.get("min", "3")))
    except ValueError:
        min_votes = 3
    editable = Article.objects.restrict(request.user, Action.CHANGE)
    rows = services.least_useful(min_votes).filter(pk__in=editable.values("pk"))[:100]
    return render(request, "knowledge/desk_report.html", {"rows": rows, "min_votes": min_votes})


@agent_required
def desk_links(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Article links for an agent's reply (HTML partial; JSON with ?format=json)."""
    query = request.GET.get("q", "").strip()[:300]
    results = chatbot.search(query, user=request.user, limit=8) if query else []
    # A customer cannot open an agents-only article: never offer it for a reply.
    internal = set(
        Article.objects.filter(
            pk__in=[r.pk for r in results], visibility=Visibility.AGENTS
        ).values_list("pk", flat=True)
    )
    results = [r for r in results if r.pk not in internal]
    links = [
        {
            "article": r.article,
            "title": r.title,
            "lang": r.lang,
            "url": request.build_absolute_uri(reverse("kb_article", args=[r.article])),
        }
        for r in results
    ]
    for link in links:
        link["markdown"] = f"[{link['title']}]({link['url']})"
    if request.GET.get("format") == "json":
        return JsonResponse({"links": links})
    return render(request, "knowledge/_links.html", {"links": links, "query": query})
