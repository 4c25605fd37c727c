"""What every PDF the desk renders with fpdf2 needs: a Unicode font where one is installed, and
Latin-1 text for the core fonts where none is.

A Unicode TrueType font is embedded when one is installed (DejaVu Sans, Debian's
``fonts-dejavu-core``); without it the core Helvetica is used and letters outside Latin-1 are
transliterated (``ł`` → ``l``, ``ą`` → ``a``) rather than lost.
"""

import unicodedata
from pathlib import Path

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF"))
_EXTRA = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "–": "-", "—": "-", "…": "..."})


def unicode_fonts() -> tuple[Path, Path] | None:
    """DejaVu Sans, regular and bold, when installed."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


def transliterate(text: str) -> str:
    """Latin-1 text for the core fonts: accents outside Latin-1 are stripped, not dropped."""
    out = []
    for char in text.translate(_EXTRA):
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char)
            out.append(
                "".join(c for c in base if not unicodedata.combining(c))
                .encode("latin-1", "replace")
                .decode("latin-1")
            )
    return "".join(out)
