"""Read the forms' specification so that form tests are generated from it, not hand-picked.

The regulation texts, printed labels, options and layouts the form tests check are test data in
the repository, ``tests/forms/data/allegati.md``: the sections of the project specification
(FORMS.md) about the forms of the DGR 18/09/2007, extracted once with the same headings. The suite
reads nothing outside the repository (``CURIT_FORMS_SPEC`` may point at another copy).

Shared helper of the form tests (not a test module). Import it as
``from tests.forms.spec import ...`` (pytest puts the repository root on ``sys.path``).

What it gives:

- :func:`section` — the text of one heading (``"### 8.3"``, ``"## 7"``) with its subsections;
- :func:`printed_labels` — the cells of the field tables' printed-label columns ("Label as
  printed", "Printed text", "Rows (labels exactly as printed)", "Group", …), each split by
  :func:`fragments` into the pieces of text actually printed (placeholders ``……``, boxes ``☐``,
  bullets ``•`` and the ``·`` separators removed, editorial notes in ``*…*`` dropped);
- :func:`enum_options` — the option labels of ``enum{…}`` / ``multi {…}`` type cells;
- :func:`verbatim_blocks` — the ``> **VERBATIM** (S1 L…): …`` blockquotes of a section;
- :func:`numbered_items` / :func:`printed_columns` — numbered row lists and ``columns as printed:
  **A | B**`` headers given in prose;
- :func:`printed_lines` — the lines of the fenced blocks (```` ``` ````) that show a layout as printed;
- :func:`pdftotext_layout` / :func:`pdftotext_raw` — poppler's text of a PDF (bytes in, str out);
- :func:`normalize` — folds whitespace, line breaks, ligatures, boxes and line-end hyphenation so
  spec text and ``pdftotext`` output compare as plain strings;
- :func:`missing` — the fragments that appear in none of the given extracted texts.

``-layout`` keeps the page geometry (reading across columns); ``-raw`` follows the content-stream
order, which for WeasyPrint is document order, so a label wrapped inside one cell of a two-column
grid stays contiguous there. A label counts as printed when it is found in either.
"""

from __future__ import annotations

import os
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "SPEC_PATH",
    "Label",
    "Verbatim",
    "section",
    "printed_labels",
    "label_fragments",
    "enum_options",
    "verbatim_blocks",
    "printed_lines",
    "numbered_items",
    "printed_columns",
    "fragments",
    "normalize",
    "pdftotext_layout",
    "pdftotext_raw",
    "missing",
]

SPEC_PATH = Path(os.environ.get("CURIT_FORMS_SPEC") or Path(__file__).resolve().parent / "data" / "allegati.md")
"""``tests/forms/data/allegati.md``; ``CURIT_FORMS_SPEC`` overrides it."""

_HEADING = re.compile(r"^(#{1,6})\s+(\S+)")
_PRINTED_COLUMN = re.compile(r"label|printed|group|rows", re.IGNORECASE)
_NOT_PRINTED_COLUMN = re.compile(r"\btype\b|\bkey\b", re.IGNORECASE)
# Placeholders and glyphs that are not text on the rendered page.
_SEPARATORS = re.compile(r"…+|\.{2,}|_{2,}|[☐☒†•·]|\s—\s|\s/\s(?=[☐])")
_EDITORIAL = re.compile(
    r"\*\([^)]*\)\*|\*\[[^\]]*\]\*|\(\*\*AMB-\d+\*\*[^)]*\)|\*\*AMB-\d+\*\*"
    r"|×\s*\d+\s*rows?|\((?:centred|centered) heading\)"
)
_PRINTED_NOTE = re.compile(r"\((?:legend )?printed:\s*([^)]*)\)")
"""``(legend printed: P=positivo …)`` → the legend becomes a fragment of its own."""
_MARKUP = re.compile(r"\*\*|`")
_VERBATIM = re.compile(r"^\s*>\s*\*\*VERBATIM\*\*\s*(?P<tag>[^(]*?)\s*\((?P<source>[^)]*)\)\s*:\s*(?P<text>.*)$")
_ENUM = re.compile(r"(?:enum|multi)\s*`?\{([^}]*)\}")


@dataclass(frozen=True)
class Label:
    """One printed-label cell of a field table."""

    heading: str
    """The ``###`` heading the table sits under (e.g. ``### 8.3 Section A. …``)."""
    column: str
    """Header of the column the cell comes from."""
    cell: str
    """The cell as written in FORMS.md (markup removed)."""
    fragments: tuple[str, ...]
    """The pieces of text a rendered form must print (see :func:`fragments`)."""


@dataclass(frozen=True)
class Verbatim:
    """A ``> **VERBATIM** (source): text`` blockquote."""

    heading: str
    source: str
    """What is in the parentheses, e.g. ``S1 L4035–4036``."""
    tag: str
    """Words between VERBATIM and the source (e.g. ``1.i``, ``example``); usually empty."""
    text: str


@lru_cache(maxsize=1)
def _lines() -> tuple[str, ...]:
    return tuple(SPEC_PATH.read_text(encoding="utf-8").splitlines())


def section(heading: str) -> list[str]:
    """Lines under ``heading`` (e.g. ``"### 8.3"`` or ``"## 8"``) up to the next heading of its level."""
    level = len(heading) - len(heading.lstrip("#"))
    number = heading[level:].strip()
    lines = _lines()
    for start, line in enumerate(lines):
        m = _HEADING.match(line)
        if m and len(m.group(1)) == level and m.group(2).rstrip(".") == number.rstrip("."):
            break
    else:
        raise KeyError(f"Heading {heading!r} not found in {SPEC_PATH}")
    out = [lines[start]]
    for line in lines[start + 1:]:
        m = _HEADING.match(line)
        if m and len(m.group(1)) <= level:
            break
        out.append(line)
    return out


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _tables(lines: list[str]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading, header cells, body rows) of every pipe table in ``lines``."""
    tables: list[tuple[str, list[str], list[list[str]]]] = []
    heading = lines[0] if lines else ""
    i = 0
    while i < len(lines):
        if _HEADING.match(lines[i]):
            heading = lines[i]
        if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|[\s:|-]+\|\s*$", lines[i + 1]):
            header = _cells(lines[i])
            body: list[list[str]] = []
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                body.append(_cells(lines[i]))
                i += 1
            tables.append((heading, header, body))
            continue
        i += 1
    return tables


def _clean(cell: str) -> str:
    text = _PRINTED_NOTE.sub(r" · \1", _EDITORIAL.sub(" ", cell))
    text = _MARKUP.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def fragments(text: str) -> tuple[str, ...]:
    """``"in via/piazza …… nc …… Cap……"`` → ``("in via/piazza", "nc", "Cap")``.

    Placeholders (``……``, ``...``, ``___``), boxes, bullets and ``·`` separators split the text;
    pieces with no letter or digit (``(``, ``)``) are dropped.
    """
    pieces = (p.strip(" ,;") for p in _SEPARATORS.split(_clean(text)))
    return tuple(p for p in pieces if re.search(r"\w", p))


def printed_labels(heading: str) -> list[Label]:
    """Every printed-label cell of the tables under ``heading`` (subsections included)."""
    out: list[Label] = []
    for sub, header, body in _tables(section(heading)):
        columns = [
            (i, h) for i, h in enumerate(header) if _PRINTED_COLUMN.search(h) and not _NOT_PRINTED_COLUMN.search(h)
        ]
        for row in body:
            for i, name in columns:
                if i < len(row) and (frags := fragments(row[i])):
                    out.append(Label(sub, name, _clean(row[i]), frags))
    return out


def label_fragments(heading: str) -> list[str]:
    """All fragments of :func:`printed_labels`, in spec order, without repeats."""
    seen: dict[str, None] = {}
    for label in printed_labels(heading):
        for f in label.fragments:
            seen.setdefault(f, None)
    return list(seen)


def enum_options(heading: str) -> list[str]:
    """Option labels of every ``enum{"a","b"}`` / ``multi {"a","b"}`` under ``heading``, in order."""
    seen: dict[str, None] = {}
    for line in section(heading):
        for group in _ENUM.findall(line):
            for option in re.findall(r'"([^"]+)"', group):
                seen.setdefault(option, None)
    return list(seen)


def verbatim_blocks(heading: str) -> list[Verbatim]:
    """The VERBATIM blockquotes under ``heading``; continuation ``>`` lines are joined with spaces."""
    out: list[Verbatim] = []
    current: dict[str, str] | None = None
    sub = heading
    for line in section(heading) + [""]:
        if _HEADING.match(line):
            sub = line
        m = _VERBATIM.match(line)
        if m:
            if current:
                out.append(Verbatim(**current))
            current = {"heading": sub, "source": m["source"].strip(), "tag": m["tag"].strip(), "text": m["text"].strip()}
        elif current and line.lstrip().startswith(">") and "**VERBATIM**" not in line:
            current["text"] += " " + line.lstrip()[1:].strip()
        elif current:
            out.append(Verbatim(**current))
            current = None
    return out


def printed_lines(heading: str) -> list[str]:
    """Non-empty lines of the fenced (```` ``` ````) blocks under ``heading``: layouts as printed."""
    out: list[str] = []
    inside = False
    for line in section(heading):
        if line.strip().startswith("```"):
            inside = not inside
            continue
        if inside and line.strip() and not line.lstrip().startswith(("class ", "#")):
            out.append(line.split("  (")[0].strip())
    return out


def numbered_items(heading: str) -> list[str]:
    """Items of the numbered lists (``1. Libretto di centrale``) under ``heading``, in order."""
    return [m.group(1).strip() for line in section(heading) if (m := re.match(r"^\d+\.\s+(.+)$", line))]


def printed_columns(heading: str) -> list[str]:
    """Column headers given in prose as ``columns as printed: **A | B | C**`` under ``heading``."""
    out: list[str] = []
    for line in section(heading):
        m = re.search(r"[Cc]olumns(?:,)? as printed:\s*\*\*([^*]+)\*\*", line)
        if m:
            out.extend(c.strip() for c in m.group(1).split("|") if c.strip())
    return out


def normalize(text: str) -> str:
    """Fold what layout changes but a reader does not see.

    NFKC (ligatures ``ﬁ`` → ``fi``), soft hyphens removed, a hyphen at a line end joined to the
    next line (``rompitiraggio-⏎antivento`` → ``rompitiraggio-antivento``), boxes/placeholders
    removed, every whitespace run (line breaks included) → one space. Templates must not use
    ``hyphens: auto`` (the inserted hyphens would not be in the spec text).
    """
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "").replace("\u2010", "-")
    text = re.sub(r"-[ \t]*\n\s*", "-", text)
    text = re.sub(r"[☐☒†\u200b]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _pdftotext(pdf: bytes, *flags: str) -> str:
    result = subprocess.run(
        ["pdftotext", *flags, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def pdftotext_layout(pdf: bytes, *, first: int | None = None, last: int | None = None) -> str:
    """``pdftotext -layout`` of ``pdf`` (optionally pages ``first``..``last``, 1-based)."""
    pages = [*(("-f", str(first)) if first else ()), *(("-l", str(last)) if last else ())]
    return _pdftotext(pdf, "-layout", *pages)


def pdftotext_raw(pdf: bytes, *, first: int | None = None, last: int | None = None) -> str:
    """``pdftotext -raw``: content-stream (= document) order."""
    pages = [*(("-f", str(first)) if first else ()), *(("-l", str(last)) if last else ())]
    return _pdftotext(pdf, "-raw", *pages)


def missing(expected: list[str] | tuple[str, ...], *texts: str) -> list[str]:
    """The items of ``expected`` found (after :func:`normalize`) in none of ``texts``."""
    folded = [normalize(t) for t in texts]
    return [e for e in expected if not any(normalize(e) in t for t in folded)]
