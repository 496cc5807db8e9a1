"""Text that stays text: user-supplied strings shown, charted and exported without being obeyed.

Names, crops, file names and URL parameters come from uploads and links; they are data. Each
place that would interpret them gets its own escape here, and nothing else does its own:

- :func:`md` for Streamlit elements that read Markdown (``st.markdown``, captions, alerts,
  titles): every ASCII punctuation mark is backslash-escaped (CommonMark allows it for all
  of them), so no link, emphasis, heading, ``:red[…]`` colour, ``:material/…:`` icon or
  ``$…$`` formula can come out of a name. Bare URLs need more: GitHub-flavoured Markdown
  finds ``http://``, ``www.`` and ``a@b.c`` in the text *after* escapes are resolved, so an
  invisible WORD JOINER (U+2060) goes after ``http``/``www`` and before ``@``.
- :func:`chart_label` for Plotly, whose labels and hover text understand a little HTML
  (``<a href>``, ``<b>``, ``<br>``): ``<``, ``>`` and ``&`` become entities, which Plotly
  draws as the characters.
- :func:`cell` for CSV and Excel downloads: a cell starting with ``=``, ``+``, ``-``, ``@``,
  tab or carriage return gets a leading ``'`` (OWASP, "CSV Injection"), so a spreadsheet
  shows it instead of evaluating it.
- :func:`plain` under all three: control characters (NUL and the like) would break an Excel
  file, the page's data messages, or line structure; they are shown as their visible
  Unicode "control pictures" (NUL → ␀), so the problem is seen, not hidden.
"""

from __future__ import annotations

import html
import re
import unicodedata

# C0 controls except tab/newline/CR (shown as a space), DEL, C1 controls, and the bidi
# overrides/isolates that can make a name read backwards on screen.
_LINE_BREAKS = {"\t": " ", "\n": " ", "\r": " "}
_CONTROL_PICTURES = {i: chr(0x2400 + i) for i in range(0x20)} | {0x7F: "\u2421"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]")
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # all ASCII punctuation
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|xmpp|www)(?=[:.])")
WORD_JOINER = "\u2060"
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def _picture(m: re.Match) -> str:
    return _CONTROL_PICTURES.get(ord(m.group()), "\ufffd")


def plain(value: object) -> str:
    """``str(value)`` on one line with control characters made visible: ``'a\\x00b'`` → ``'a␀b'``.

    Tab, newline and CR become spaces; other C0/C1 controls their control picture (or �);
    bidi overrides �. ``None`` becomes ``''``.
    """
    if value is None:
        return ""
    s = str(value)
    for ch, repl in _LINE_BREAKS.items():
        s = s.replace(ch, repl)
    return _CONTROL.sub(_picture, s)


def md(value: object) -> str:
    """A user string for a Streamlit element that renders Markdown, shown literally.

    ``md('[点我](http://x)')`` → ``'\\[点我\\]\\(http' + WORD_JOINER + '\\:\\/\\/x\\)'``, which
    Streamlit draws as ``[点我](http://x)``, not as a link.
    """
    s = _AUTOLINK.sub(r"\1" + WORD_JOINER, plain(value)).replace("@", WORD_JOINER + "@")
    return _MD_PUNCT.sub(r"\\\1", s)


def chart_label(value: object) -> str:
    """A user string for a Plotly label, tick or hover text, shown literally.

    ``chart_label('<a href="x">y</a>')`` → ``'&lt;a href="x"&gt;y&lt;/a&gt;'``; Plotly turns the
    entities back into ``<`` and ``>`` when drawing, so the text reads as typed.
    """
    return html.escape(plain(value), quote=False)


def cell(value: object) -> object:
    """A value for a CSV/XLSX download: text made plain and defused, anything else unchanged.

    ``cell('=HYPERLINK("http://x")')`` → ``"'=HYPERLINK(\\"http://x\\")"``; ``cell(-5)`` → ``-5``
    (numbers stay numbers: only text can carry a formula).
    """
    if not isinstance(value, str):
        return value
    s = _CONTROL.sub(_picture, value)
    return "'" + s if s.startswith(FORMULA_LEAD) else s


# The keys names are compared by, so a name written another way is recognised (used by the
# upload's look-alike rule in ingest.identity and by the admin's account edits in access).
GENERIC_COOP_WORDS = ("有限责任公司", "有限公司", "股份", "专业", "养殖", "种植", "合作社", "联合社", "农民", "公司",
                      "农业", "生产")


GENERIC_UNIT_WORDS = ("养殖户", "号", "户")
_PUNCT = re.compile(r"[\s()\[\]{}<>《》“”\"'‘’·•.,，、_\-—/\\:：;；#]")


def coop_key(name: str) -> str:
    """'青禾生猪养殖专业合作社' and '青禾（生猪）合作社' → '青禾生猪'."""
    t = _PUNCT.sub("", unicodedata.normalize("NFKC", name).lower())
    for w in GENERIC_COOP_WORDS:
        t = t.replace(w, "")
    return t


def unit_key(name: str) -> str:
    """'D-001', 'D001', 'd 1号' → 'd1'."""
    t = _PUNCT.sub("", unicodedata.normalize("NFKC", name).lower())
    for w in GENERIC_UNIT_WORDS:
        t = t.replace(w, "")
    return re.sub(r"(?<!\d)0+(?=\d)", "", t)
