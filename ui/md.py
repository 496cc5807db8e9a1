"""User text inside Markdown: names, file and sheet names are shown as typed, never as links or bold."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def plain(text: object) -> str:
    """Backslash-escape every character Streamlit's Markdown would interpret."""
    return _SPECIAL.sub(r"\\\1", str(text))
