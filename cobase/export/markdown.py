"""Markdown rendering of a dossier: plain text a lawyer can paste, diff or convert.

Text from sources (labels, quotes, values) is untrusted: it may contain pipes that would split a table
cell, or markup that a Markdown viewer would interpret. It is backslash-escaped so that every viewer
shows it literally, and so that the raw file still reads as what the producer wrote.
"""

from __future__ import annotations

import re

from cobase.export.document import (
    Block,
    Bullets,
    CitationList,
    CitationPart,
    Dossier,
    Fields,
    Group,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Table,
    printable,
)

_SPECIAL = re.compile(r"([\\`*<>|#&~])")
# Brackets are escaped except in the dossier's own [n] citation markers, which must stay readable; a
# bare [n] cannot become a link since a dossier defines no link references.
_BRACKET = re.compile(r"\[\d+\]|[\[\]]")
# An underscore only starts emphasis at a word boundary: escaping it inside words (who_gho, HIV_ART)
# would only make the raw file harder to read.
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_URL_SAFE = re.compile(r"^https?://[^\s<>]+$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def escape(text: str) -> str:
    """``text`` with Markdown syntax characters backslash-escaped and line breaks flattened."""
    escaped = _SPECIAL.sub(r"\\\1", printable(text))
    escaped = _BRACKET.sub(lambda m: m.group(0) if len(m.group(0)) > 1 else "\\" + m.group(0), escaped)
    escaped = _EDGE_UNDERSCORE.sub(r"\\_", escaped)
    # Only ASCII whitespace is flattened: French narrow no-break spaces (U+202F) must stay.
    return re.sub(r"[ \t\r\n\f\v]+", " ", escaped).strip()


def link(url: str) -> str:
    """A clickable autolink for a well-formed http(s) URL; anything else is shown as escaped text."""
    return f"<{url}>" if _URL_SAFE.match(url) else escape(url)


def code(value: str) -> str:
    """A hash as inline code (easy to select and compare); escaped text if it is not plain hex."""
    return f"`{value}`" if _HEX.match(value) else escape(value)


def _table(table: Table) -> list[str]:
    lines = [
        "| " + " | ".join(escape(cell) for cell in table.header) + " |",
        "|" + "|".join("---" for _ in table.header) + "|",
    ]
    for row in table.rows:
        if isinstance(row, Group):
            # Markdown tables cannot span columns: the series name takes the first cell, in bold.
            cells = [f"**{escape(row.title)}**"] + [" "] * (len(table.header) - 1)
        else:
            cells = [escape(cell) or " " for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _block(block: Block, colon: str) -> list[str]:
    if isinstance(block, Heading):
        return [f"{'#' * (block.level + 1)} {escape(block.text)}"]
    if isinstance(block, Paragraph):
        body = escape(block.text)
        if block.emphasis:
            return [f"**{body}**"]
        return [f"*{body}*"] if block.small else [body]
    if isinstance(block, Bullets):
        return [f"- {escape(item)}" for item in block.items]
    if isinstance(block, Fields):
        return [f"- **{escape(label)}**{colon} {escape(value)}" for label, value in block.pairs]
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Image):
        return []  # charts live in the PDF and DOCX; the dossier says so where they would be
    if isinstance(block, PageBreak):
        return ["---"]
    if isinstance(block, CitationList):
        return [
            f"- [{entry.number}] " + "".join(_part(part) for part in entry.parts)
            if entry.parts
            else f"- [{entry.number}] {escape(entry.description)} — {link(entry.url)} — "
            f"sha256 {code(entry.snapshot_sha256)}"
            for entry in block.entries
        ]
    raise TypeError(f"unknown dossier block: {type(block).__name__}")


def _part(part: CitationPart) -> str:
    """One piece of a reference; its edge spaces are kept (escape() trims them)."""
    if part.style == "link":
        return link(part.url or part.text)  # anything but a well-formed http(s) URL prints as text
    if part.style == "code":
        return code(part.text)
    body = escape(part.text)
    if part.style == "italic" and body:
        body = f"*{body}*"
    lead = " " if part.text[:1].isspace() else ""
    trail = " " if part.text[-1:].isspace() else ""
    return f"{lead}{body}{trail}"


def render(dossier: Dossier) -> str:
    """The dossier as Markdown, blocks separated by blank lines."""
    colon = " :" if dossier.lang == "fr" else ":"  # French typography puts a space before the colon
    parts = ["\n".join(_block(block, colon)) for block in dossier.blocks]
    return "\n\n".join(part for part in parts if part) + "\n"
