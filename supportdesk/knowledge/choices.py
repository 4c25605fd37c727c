from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    CUSTOMERS = "customers", _("Signed-in customers")
    PLANS = "plans", _("Customers of given plans")
    AGENTS = "agents", _("Agents only")
