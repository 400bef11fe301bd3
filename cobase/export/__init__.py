"""Dossier export: an assessment as a PDF, DOCX or Markdown document a lawyer can annex to a brief.

A dossier states the country, pathology, treatments and as-of date; summarises each access dimension;
shows the timeline charts and evidence tables; lists gaps, contradictions and old data; cites every
document by number with its URL and snapshot sha256; and says what cobase does and does not assert.
French is the default language, English is available. Passing ``today`` (an assessment of the same
case as of now), or an assessment with evidence published after its as-of date, adds the sections the
"Contester un avis" journey needs. Export reads only the assessment: it never writes to the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cobase.evidence.cost import MonthlyCost
from cobase.evidence.model import Assessment
from cobase.export import markdown
from cobase.export.charts import chart_png, timeline_chart, timeline_spec
from cobase.export.content import build_dossier
from cobase.export.texts import check_lang

FORMATS: tuple[str, ...] = ("pdf", "docx", "md")
"""Formats :func:`write_dossier` accepts; the file suffix is the format name."""

_SUFFIXES: dict[str, tuple[str, ...]] = {
    ".pdf": ("pdf",),
    ".docx": ("docx",),
    ".md": ("md",),
    ".markdown": ("md",),
}


def render_markdown(
    assessment: Assessment,
    lang: str = "fr",
    today: Assessment | None = None,
    *,
    annex: bool = False,
    bodies: Mapping[str, bytes] | None = None,
    costs: Sequence[MonthlyCost] = (),
) -> str:
    """The dossier as Markdown (without charts, which Markdown cannot carry; the text says so)."""
    return markdown.render(
        build_dossier(assessment, lang, today, charts=False, annex=annex, bodies=bodies, costs=costs)
    )


def render_pdf(
    assessment: Assessment,
    lang: str = "fr",
    today: Assessment | None = None,
    *,
    annex: bool = False,
    bodies: Mapping[str, bytes] | None = None,
    costs: Sequence[MonthlyCost] = (),
) -> bytes:
    """The dossier as PDF bytes, charts included, with extractable text."""
    # fpdf2 and python-docx are imported when a dossier is written: importing them took a sixth of the
    # app's first page, which only offers the download.
    from cobase.export import pdf

    return pdf.render(build_dossier(assessment, lang, today, annex=annex, bodies=bodies, costs=costs))


def render_docx(
    assessment: Assessment,
    lang: str = "fr",
    today: Assessment | None = None,
    *,
    annex: bool = False,
    bodies: Mapping[str, bytes] | None = None,
    costs: Sequence[MonthlyCost] = (),
) -> bytes:
    """The dossier as DOCX bytes, charts included."""
    from cobase.export import docx

    return docx.render(build_dossier(assessment, lang, today, annex=annex, bodies=bodies, costs=costs))


def write_dossier(
    assessment: Assessment,
    path: Path,
    fmt: str,
    lang: str = "fr",
    today: Assessment | None = None,
    *,
    annex: bool = False,
    bodies: Mapping[str, bytes] | None = None,
    costs: Sequence[MonthlyCost] = (),
) -> Path:
    """Write the dossier in ``fmt`` (pdf, docx or md) to ``path`` and return the path written.

    A path without the format's suffix gets it appended (``dossier`` becomes ``dossier.pdf``), so readers
    recognise the file; a path naming another dossier format (``dossier.docx`` with ``pdf``) is refused,
    since a PDF named .docx would not open. The format and language are checked before anything is
    rendered or written, so a typo costs nothing.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown dossier format {fmt!r}: choose one of {', '.join(FORMATS)}")
    check_lang(lang)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _SUFFIXES and fmt not in _SUFFIXES[suffix]:
        raise ValueError(f"file name {path.name!r} does not match the {fmt} format: name it *.{fmt}")
    if suffix not in _SUFFIXES:
        path = path.with_name(f"{path.name}.{fmt}")
    if fmt == "md":
        path.write_text(
            render_markdown(assessment, lang, today, annex=annex, bodies=bodies, costs=costs),
            encoding="utf-8",
        )
    elif fmt == "pdf":
        path.write_bytes(render_pdf(assessment, lang, today, annex=annex, bodies=bodies, costs=costs))
    else:
        path.write_bytes(render_docx(assessment, lang, today, annex=annex, bodies=bodies, costs=costs))
    return path


__all__ = [
    "FORMATS",
    "chart_png",
    "render_docx",
    "render_markdown",
    "render_pdf",
    "timeline_chart",
    "timeline_spec",
    "write_dossier",
]
