"""Texts written per language in the world file or the admin: ``{pl: ..., pt: ..., en: ...}``."""

from collections.abc import Mapping

from django.utils.translation import get_language


def in_language(texts: str | Mapping[str, str] | None, language: str | None = None) -> str:
    """The text in the viewer's (or the given) language, else English, else the first written.

    A plain string is a text written once, before texts took languages: it is shown as it is.
    """
    if not texts:
        return ""
    if isinstance(texts, str):
        return texts
    language = (language or get_language() or "en")[:2]
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")
