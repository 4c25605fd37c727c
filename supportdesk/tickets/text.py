"""Text that must stay on one line wherever it goes: a case's subject becomes a mail header."""

import re

#: Characters no single-line field holds: controls (C0, DEL, C1) and line or paragraph separators.
CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_CONTROLS = re.compile(f"[{CONTROL}]+")


def one_line(text: str) -> str:
    """``text`` with each run of control characters folded into a space: what a mail, a chat,
    a call or a form brings in cannot add a header to the desk's replies."""
    return _CONTROLS.sub(" ", text).strip()


def has_control(text: str) -> bool:
    return _CONTROLS.search(text) is not None
