from django.contrib import admin

from supportdesk.knowledge import services
from supportdesk.knowledge.models import Article, ArticleRevision, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]


class RevisionInline(admin.TabularInline):
    model = ArticleRevision
    extra = 0
    can_delete = False
    readonly_fields = ("number", "at", "author", "status", "title", "note")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Configuration view; saves still go through the service so history and search follow."""

    list_display = [
        "external_id",
        "lang",
        "title",
        "status",
        "visibility",
        "brand",
        "useful_yes",
        "useful_no",
    ]
    list_filter = ["status", "visibility", "brand", "lang", "categories"]
    search_fields = ["external_id", "title", "group"]
    filter_horizontal = ["plans", "categories"]
    inlines = [RevisionInline]

    def save_model(self, request, obj, form, change):
        saved, _changed = services.save_article(
            obj.external_id,
            lang=obj.lang,
            title=obj.title,
            body=obj.body,
            group=obj.group or obj.external_id,
            source=obj.source,
            status=obj.status,
            visibility=obj.visibility,
            brand=obj.brand.slug if obj.brand_id else "",
            author=request.user,
            note="admin",
        )
        form.instance = saved
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the read-only history inline: nothing to write
            formset.instance = form.instance
            formset.save()
        article = form.instance
        services.save_article(
            article.external_id,
            lang=article.lang,
            title=article.title,
            body=article.body,
            plans=[p.slug for p in form.cleaned_data.get("plans", [])],
            categories=[c.slug for c in form.cleaned_data.get("categories", [])],
            author=request.user,
            note="admin",
        )
