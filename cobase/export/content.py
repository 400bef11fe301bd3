"""What a dossier says, decided once for every format: from an :class:`Assessment` to a :class:`Dossier`.

Reading order follows what a lawyer or an OFII physician looks for: who and what the dossier is about
and as of when; a per-dimension summary; what was published after the opinion (when contesting one);
what is missing; what is disputed; the detail of every dimension with its chart and table; old data;
what cobase does and does not assert; and the numbered sources, each with its snapshot hash.
Building a dossier reads only the assessment: it never touches the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from cobase import __version__, present
from cobase.clock import years_before
from cobase.evidence.cost import MonthlyCost
from cobase.evidence.model import DIMENSIONS, Assessment, Dimension, Evidence, Trend
from cobase.export.annex import annex_documents
from cobase.export.charts import chart_to_png, timeline_chart
from cobase.export.citations import CitationIndex
from cobase.export.cost_section import cost_blocks
from cobase.export.deliveries import add_delivery_section
from cobase.export.document import (
    Bullets,
    CitationEntry,
    CitationList,
    Dossier,
    Fields,
    Group,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Table,
)
from cobase.export.registers import register_section
from cobase.export.texts import check_lang, format_day, format_moment, format_period, pick, text

SeriesKey = tuple[str, str, str, str | None]
"""(source, indicator, breakdown, item): one line on a chart, one row in the side-by-side table."""

EVIDENCE_WIDTHS = [14.0, 18.0, 12.0, 12.0, 36.0, 8.0]


def series_key(evidence: Evidence) -> SeriesKey:
    """The series ``evidence`` belongs to (the engine keys ``Dimension.latest`` the same way)."""
    return (evidence.source, evidence.indicator, evidence.breakdown, evidence.item)


def item_names(assessment: Assessment) -> dict[str, tuple[str, str]]:
    """French and English names of the assessment's items, so the dossier does not show bare ids.

    The catalogue names every item it knows; gaps carry the names the engine used. An item nobody
    names is shown by its id rather than failing the dossier.
    """
    known = dict(present.catalogue_item_names())
    known.update({gap.id: (gap.name_fr, gap.name_en) for gap in assessment.gaps if gap.kind == "item"})
    return known


STATUSES: tuple[str, ...] = ("published_by", "unknown", "published_after")
"""The contest dossier's body order: published by the opinion date, no established date, published after."""

SCOPE_RANK = {"item": 0, "class": 1, "population": 2, "system": 3}
STATUS_RANK = {"published_by": 0, "unknown": 1, "published_after": 2}
SYNTHESIS_FACTS = 3
SYNTHESIS_FACT_CHARS = 240
SYNTHESIS_GAPS = 6


def status_as_of(evidence: Evidence, day: date) -> str:
    """The as-of status of ``evidence`` at ``day``, from its dates (issue rules), for evidence assessed at
    another date (the "today" side of a contest dossier)."""
    if evidence.first_seen_at is not None and evidence.first_seen_at.date() <= day:
        return "published_by"
    if evidence.published_at is not None and evidence.published_basis != "first_seen":
        if evidence.published_at.date() <= day:
            return "published_by"
        if evidence.published_basis in ("first_release", "document_date"):
            return "published_after"
    return "unknown"


def strength(evidence: Evidence) -> tuple[int, int, int, int]:
    """Sort key of the strongest facts: about the patient's items, established as public, not old, recent."""
    return (
        SCOPE_RANK.get(evidence.scope, 4),
        STATUS_RANK.get(evidence.as_of_status, 3),
        int(evidence.stale),
        -evidence.period_end.toordinal(),
    )


class _Builder:
    """Builds one dossier; holds the language, the citation numbering and the item names."""

    def __init__(
        self,
        assessment: Assessment,
        lang: str,
        today: Assessment | None,
        charts: bool,
        annex: bool,
        bodies: Mapping[str, bytes] | None = None,
        costs: Sequence[MonthlyCost] = (),
    ) -> None:
        self.a = assessment
        self.costs = list(costs)
        self.lang = check_lang(lang)
        self.today = today
        self.charts = charts
        self.annex = annex
        self.cites = CitationIndex()
        self.names = item_names(assessment)
        if today is not None:
            self.names.update(item_names(today))
        self.full_texts: list[tuple[str, str]] = []
        self.cited_pages: dict[str, set[int]] = {}
        self.bodies = bodies or {}

    # Small helpers ---------------------------------------------------------------------------------

    def ref(self, evidence: Evidence) -> str:
        """The ``[n]`` of the document behind ``evidence``, noting its cited page for the annex."""
        if evidence.page is not None:
            self.cited_pages.setdefault(evidence.snapshot_sha256, set()).add(evidence.page)
        return self.cites.ref(evidence)

    def t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    def day(self, value: date) -> str:
        return format_day(value, self.lang)

    def item_name(self, item_id: str) -> str:
        return present.item_name(item_id, self.lang, self.names)

    def label(self, evidence: Evidence) -> str:
        return present.evidence_label(evidence, self.lang, self.names)

    def period(self, evidence: Evidence) -> str:
        return format_period(evidence.period_start, evidence.period_end, self.lang)

    def value(self, evidence: Evidence) -> str:
        return self.cut(present.value_text(evidence, self.lang), evidence)

    def cut(self, text_: str, evidence: Evidence | None = None, limit: int = present.MAX_CELL_CHARS) -> str:
        """Long text cut with « […] »; the full text goes to the annex, under the evidence's reference."""
        if len(text_) <= limit:
            return text_
        ref = self.ref(evidence) if evidence is not None else None
        if ref is not None and self.annex:
            self.full_texts.append((ref, text_))
            return present.shorten(text_, limit, self.lang, ref)
        return (
            present.shorten(text_, limit, self.lang, ref)
            if self.annex
            else _cut_plain(text_, limit, self.lang)
        )

    def flags(self, evidence: Evidence) -> list[str]:
        return present.badges(evidence, self.lang)

    def when(self, evidence: Evidence) -> str:
        return present.as_of_text(evidence, self.lang, self.a.as_of)

    def statement(self, evidence: Evidence, limit: int = present.MAX_CELL_CHARS) -> str:
        """One value in a sentence: what, how much, when (and what the date is), where from."""
        flags = self.flags(evidence)
        extra = f" — {'; '.join(flags)}" if flags else ""
        colon = f"{present.NNBSP}:" if self.lang == "fr" else ":"
        if present.is_answer(evidence):
            body = present.answer_sentence(evidence, self.lang)
        else:
            who = present.source_name(evidence)
            body = f"{self.label(evidence)} ({who}){colon} {self.value(evidence)} ({self.period(evidence)})"
        ref = self.ref(evidence)
        return f"{self.cut(body, evidence, limit)}, {self.when(evidence)} {ref}{extra}"

    def evidence_table(self, evidence: Iterable[Evidence]) -> Table:
        """Evidence grouped by series (named once), each row a dated value with its notes and citation."""
        by_series: dict[SeriesKey, list[Evidence]] = {}
        for e in evidence:
            by_series.setdefault(series_key(e), []).append(e)
        rows: list[list[str] | Group] = []
        for series in by_series.values():
            sample = series[0]
            title = f"{self.label(sample)} ({present.source_name(sample)})"
            rows.append(Group(self.cut(title, sample)))
            for e in sorted(series, key=lambda e: (e.period_start, e.period_end)):
                notes = self.flags(e)
                if e.quote:
                    quote = self.cut(e.quote, e)
                    notes.append(f"« {quote} »" if self.lang == "fr" else f"“{quote}”")
                rows.append(
                    [
                        self.period(e),
                        self.value(e),
                        self.when(e),
                        present.format_date_of(e.retrieved_at, self.lang),
                        "; ".join(notes),
                        self.ref(e),
                    ]
                )
        header = [
            self.t("col_period"),
            self.t("col_value"),
            self.t("col_published"),
            self.t("col_retrieved"),
            self.t("col_notes"),
            self.t("col_ref"),
        ]
        return Table(header=header, rows=rows, widths=EVIDENCE_WIDTHS)

    # Sections --------------------------------------------------------------------------------------

    def build(self) -> Dossier:
        a = self.a
        country = pick(self.lang, a.country_name_fr, a.country_name_en)
        pathology = pick(self.lang, a.pathology_name_fr, a.pathology_name_en)
        title = self.t("title_contest" if self.today is not None else "title")
        footer = self.t(
            "footer",
            country=country,
            pathology=pathology,
            as_of=self.day(a.as_of),
            generated=self.day(a.generated_at.date()),
        )
        if a.demonstration:  # sample data: said in the title, on every page's footer and first of all
            mark = present.demonstration_label(self.lang)
            title, footer = f"{mark} — {title}", f"{mark} · {footer}"
        dossier = Dossier(
            lang=self.lang,
            title=title,
            subject=f"{country} — {pathology} — {self.day(a.as_of)}",
            footer=footer,
            created_at=a.generated_at,
        )
        if a.demonstration:
            dossier.add(Paragraph(present.demonstration_banner(self.lang), emphasis=True))
        self.synthesis(dossier, country, pathology)
        self.identity(dossier, country, pathology)
        if self.today is not None or a.published_after_as_of:
            self.by_status(dossier)
        self.summary(dossier)
        self.gaps(dossier)
        if self.today is None:
            self.contradictions(dossier)
        self.details(dossier)
        register_section(self, dossier)
        dossier.add(*cost_blocks(self.costs, self.lang))
        if self.today is not None:
            self.contradictions(dossier)
        self.stale(dossier)
        self.methods(dossier)
        self.citations(dossier)
        dossier.add(Paragraph(self.t("no_patient_data"), emphasis=True))
        if self.annex:
            self.annex_section(dossier)
        return dossier

    def annex_section(self, dossier: Dossier) -> None:
        """Cited pages or extracts of the kept documents, then the full text of anything cut."""
        cited = [(c.number, c.snapshot_sha256) for c in self.cites.citations()]
        documents = annex_documents(cited, self.cited_pages, self.bodies)
        if documents or self.full_texts:
            dossier.add(PageBreak(), Heading(self.t("h_annex")), Paragraph(self.t("annex_intro"), small=True))
        for document in documents:
            dossier.add(
                Paragraph(self.t("annex_entry", ref=document.number, sha=document.sha256), emphasis=True)
            )
            if document.pages:
                pages = ", ".join(str(p) for p in document.pages)
                dossier.add(Paragraph(self.t("annex_pages", pages=pages), small=True))
            dossier.add(Paragraph(document.text))
            if document.pdf_pages:
                dossier.appendix_pdfs.append(document.pdf_pages)
        if self.full_texts:
            dossier.add(Heading(self.t("annex_full_texts"), level=2))
            for ref, full in self.full_texts:
                dossier.add(Paragraph(f"{ref} {full}"))

    def synthesis(self, dossier: Dossier, country: str, pathology: str) -> None:
        """The one-page "Synthèse": the case, then per dimension the strongest dated facts, then gaps."""
        a = self.a
        as_of_label = "as_of_contest" if self.today is not None else "as_of"
        dossier.add(
            Heading(dossier.title, level=0),
            Heading(self.t("h_synthesis")),
            Fields(
                [
                    (self.t("country"), f"{country} ({a.country_iso3})"),
                    (self.t("pathology"), pathology),
                    (self.t("treatments"), "; ".join(self.item_name(i) for i in a.items) or "—"),
                    (self.t(as_of_label), self.day(a.as_of)),
                ]
            ),
            Paragraph(self.t("synthesis_intro"), small=True),
        )
        lines = []
        for d in a.dimensions:
            name = present.dimension_label(d.name, self.lang)
            facts = sorted(d.latest, key=strength)[:SYNTHESIS_FACTS]
            if not facts:
                lines.append(f"{name} — {self.t('synthesis_gap')}")
                continue
            shown = " ; ".join(self.statement(e, SYNTHESIS_FACT_CHARS) for e in facts)
            lines.append(f"{name} — {shown}")
        dossier.add(Bullets(lines))
        if a.gaps:
            messages = [pick(self.lang, g.message_fr, g.message_en) for g in a.gaps if g.kind != "dimension"]
            if messages:
                listed = messages[:SYNTHESIS_GAPS]
                if len(messages) > SYNTHESIS_GAPS:
                    listed.append(self.t("synthesis_more_gaps", count=len(messages) - SYNTHESIS_GAPS))
                dossier.add(Paragraph(self.t("synthesis_gaps"), emphasis=True), Bullets(listed))
        dossier.add(PageBreak())

    def identity(self, dossier: Dossier, country: str, pathology: str) -> None:
        a = self.a
        as_of_label = "as_of_contest" if self.today is not None else "as_of"
        window = self.t(
            "window_value",
            years=a.window_years,
            start=self.day(years_before(a.as_of, a.window_years)),
            end=self.day(a.as_of),
        )
        dossier.add(
            Heading(dossier.title),
            Fields(
                [
                    (self.t("country"), f"{country} ({a.country_iso3})"),
                    (self.t("pathology"), pathology),
                    (self.t("treatments"), "; ".join(self.item_name(i) for i in a.items) or "—"),
                    (self.t(as_of_label), self.day(a.as_of)),
                    (self.t("window"), window),
                    (self.t("stale_rule"), self.day(years_before(a.as_of, a.stale_after_years))),
                    (self.t("generated_at"), format_moment(a.generated_at, self.lang)),
                    (self.t("generated_by"), f"cobase {__version__}"),
                ]
            ),
            Paragraph(self.t("no_patient_data"), emphasis=True),
            Paragraph(self.t("not_a_verdict")),
        )

    def summary(self, dossier: Dossier) -> None:
        rows = []
        for d in self.a.dimensions:
            readings = Counter(present.trend_reading(t) for t in d.trend)
            trend_text = ", ".join(
                f"{pick(self.lang, *present.READINGS[reading])} ({count})"
                for reading, count in sorted(readings.items())
            )
            newest = max(d.evidence, key=lambda e: (e.period_end, e.period_start), default=None)
            named = {e.source: e.producer for e in d.evidence}
            rows.append(
                [
                    present.dimension_label(d.name, self.lang),
                    str(len(d.evidence)),
                    f"{', '.join(dict.fromkeys(named[s] for s in d.sources))} ({len(d.independent_sources)})"
                    if d.sources
                    else self.t("none"),
                    self.period(newest) if newest else self.t("no_data_cell"),
                    trend_text or "—",
                ]
            )
        header = [
            self.t("col_dimension"),
            self.t("col_observations"),
            self.t("col_sources"),
            self.t("col_last_period"),
            self.t("col_trends"),
        ]
        dossier.add(
            Heading(self.t("h_summary")),
            Table(header=header, rows=rows, widths=[26.0, 14.0, 28.0, 16.0, 16.0]),
        )

    def status_buckets(self) -> dict[str, list[Evidence]]:
        """The newest value of every series, and what came later, by as-of status at the opinion date."""
        buckets: dict[str, list[Evidence]] = {status: [] for status in STATUSES}
        seen: set[tuple[object, ...]] = set()

        def put(e: Evidence, status: str) -> None:
            key = (*series_key(e), e.period_start, e.period_end, e.value, e.snapshot_sha256)
            if key not in seen:
                seen.add(key)
                buckets[status].append(e)

        for d in self.a.dimensions:
            for e in d.latest:
                put(e, e.as_of_status)
        for e in self.a.published_after_as_of:
            put(
                e, "published_after" if e.as_of_status == "published_after" else status_as_of(e, self.a.as_of)
            )
        for e in self.late_evidence():
            put(e, status_as_of(e, self.a.as_of))
        return buckets

    def by_status(self, dossier: Dossier) -> None:
        """Contest body: published by the opinion date, no established date, published after."""
        buckets = self.status_buckets()
        for status in STATUSES:
            dossier.add(Heading(present.as_of_heading(status, self.lang)))
            dossier.add(Paragraph(self.t(f"status_intro_{status}", date=self.day(self.a.as_of))))
            chosen = sorted(
                buckets[status], key=lambda e: (DIMENSION_ORDER.get(self.dimension_of(e), 99), strength(e))
            )
            if chosen:
                dossier.add(Bullets([f"{self.dimension_name(e)} — {self.statement(e)}" for e in chosen]))
            else:
                dossier.add(Paragraph(self.t("status_none")))
        rows = self.side_by_side_rows(buckets["published_after"] + buckets["unknown"])
        if rows:
            today_day = self.today.as_of if self.today is not None else self.a.generated_at.date()
            dossier.add(
                Heading(self.t("h_side_by_side"), level=2),
                Paragraph(
                    self.t("side_by_side_intro", as_of=self.day(self.a.as_of), today=self.day(today_day))
                ),
                Table(
                    header=[
                        self.t("col_dimension"),
                        self.t("col_indicator"),
                        self.t("col_at_opinion"),
                        self.t("col_today"),
                    ],
                    rows=rows,
                    widths=[18.0, 34.0, 24.0, 24.0],
                ),
            )

    def dimension_name(self, evidence: Evidence) -> str:
        return present.dimension_label(self.dimension_of(evidence), self.lang)

    def dimension_of(self, evidence: Evidence) -> str:
        """The dimension a piece of evidence is shown under (context when no assessment lists it)."""
        if not hasattr(self, "_dimension_of"):
            found: dict[SeriesKey, str] = {}
            for assessment in (self.today, self.a):
                if assessment is None:
                    continue
                for d in assessment.dimensions:
                    for e in d.evidence:
                        found[series_key(e)] = d.name
            self._dimension_of = found
        return self._dimension_of.get(series_key(evidence), "context")

    def late_evidence(self) -> list[Evidence]:
        """Evidence of the today assessment that the opinion-date assessment does not hold."""
        if self.today is None:
            return []
        held = {
            (*series_key(e), e.period_start, e.period_end, e.value)
            for d in self.a.dimensions
            for e in d.evidence
        }
        late = [
            e
            for d in self.today.dimensions
            for e in d.latest
            if (*series_key(e), e.period_start, e.period_end, e.value) not in held
        ]
        return sorted(late, key=lambda e: (e.source, e.indicator, e.breakdown, e.period_start))

    def side_by_side_rows(self, late: list[Evidence]) -> list[list[str]]:
        """Per series, the newest value at the opinion date and the newest known now."""
        before: dict[SeriesKey, Evidence] = {}
        for d in self.a.dimensions:
            for e in d.latest:
                before[series_key(e)] = e
        now: dict[SeriesKey, Evidence] = {}
        if self.today is not None:
            for d in self.today.dimensions:
                for e in d.latest:
                    now[series_key(e)] = e
        else:
            now = dict(before)
            for e in late:
                current = now.get(series_key(e))
                if current is None or e.period_start >= current.period_start:
                    now[series_key(e)] = e
        keys = sorted(
            set(before) | set(now),
            key=lambda k: (DIMENSION_ORDER.get(self.dimension_of(before.get(k) or now[k]), 99), str(k)),
        )
        rows = []
        for key in keys:
            sample = before.get(key) or now[key]
            rows.append(
                [
                    present.dimension_label(self.dimension_of(sample), self.lang),
                    self.cut(f"{self.label(sample)} ({present.source_name(sample)})", sample),
                    self.cell(before.get(key)),
                    self.cell(now.get(key)),
                ]
            )
        return rows

    def cell(self, evidence: Evidence | None) -> str:
        if evidence is None:
            return self.t("no_data_cell")
        return (
            f"{self.value(evidence)} ({self.period(evidence)}), {present.basis_text(evidence, self.lang)} "
            f"{self.ref(evidence)}"
        )

    def gaps(self, dossier: Dossier) -> None:
        dossier.add(Heading(self.t("h_gaps")))
        if self.a.gaps:
            dossier.add(Bullets([pick(self.lang, g.message_fr, g.message_en) for g in self.a.gaps]))
        else:
            dossier.add(Paragraph(self.t("no_gaps")))

    def contradictions(self, dossier: Dossier) -> None:
        dossier.add(Heading(self.t("h_contradictions")))
        if not self.a.contradictions:
            dossier.add(Paragraph(self.t("no_contradictions")))
        for c in self.a.contradictions:
            dossier.add(
                Paragraph(self.cut(present.contradiction_text(c, self.lang, self.names)), emphasis=True),
                self.evidence_table(c.sides),
            )

    def details(self, dossier: Dossier) -> None:
        dossier.add(Heading(self.t("h_details")))
        if not self.charts:
            dossier.add(Paragraph(self.t("charts_elsewhere"), small=True))
        for d in self.a.dimensions:
            self.dimension(dossier, d)
            if d.name == "continuity":
                add_delivery_section(dossier, self.a, self.lang, self.ref, self.names)

    def dimension(self, dossier: Dossier, d: Dimension) -> None:
        dossier.add(Heading(present.dimension_label(d.name, self.lang), level=2))
        if not d.evidence:
            dossier.add(Paragraph(self.t("dimension_no_evidence"), emphasis=True))
            return
        producers = {e.source: e.producer for e in d.evidence}
        sources = ", ".join(dict.fromkeys(producers[s] for s in d.sources))
        dossier.add(Paragraph(self.t("dimension_sources", count=len(d.evidence), sources=sources)))
        republished = sorted(
            {(e.producer, present.republished_producer(e.republishes)) for e in d.evidence if e.republishes}
        )
        for source, original in republished:
            dossier.add(Paragraph(self.t("republishes_note", source=source, original=original), small=True))
        dossier.add(Heading(self.t("h_latest"), level=3))
        for heading, group in present.split_by_scope(d.latest, self.lang):
            if heading is not None:
                dossier.add(Paragraph(heading, emphasis=True))
            dossier.add(Bullets([self.statement(e) for e in group]))
        trend_lines = [self.trend_line(d, t) for t in d.trend]
        if trend_lines:
            dossier.add(Heading(self.t("h_trends"), level=3), Bullets(trend_lines))
        if self.charts:
            chart = timeline_chart(d, self.lang)
            if chart is not None:
                dossier.add(
                    Image(
                        png=chart_to_png(chart, self.lang),
                        caption=self.t("chart_caption"),
                        missing_note=self.t("chart_missing"),
                    )
                )
        dossier.add(Heading(self.t("h_evidence"), level=3))
        for heading, group in present.split_by_scope(d.evidence, self.lang):
            if heading is not None:
                dossier.add(Paragraph(heading, emphasis=True))
            dossier.add(self.evidence_table(group))

    def trend_line(self, d: Dimension, trend: Trend) -> str:
        last = next(
            (
                e
                for e in d.evidence
                if (e.source, e.indicator, e.breakdown) == (trend.source, trend.indicator, trend.breakdown)
                and e.period_start == trend.last_period
            ),
            None,
        )
        label = (
            f"{self.label(last)} ({present.source_name(last)})"
            if last
            else f"{present.breakdown_label(trend.breakdown, self.lang) or trend.source} ({trend.source})"
        )
        line = present.trend_sentence(trend, label, self.lang)
        return f"{line} {self.ref(last)}" if last else line

    def stale(self, dossier: Dossier) -> None:
        dossier.add(Heading(self.t("h_stale")))
        if not self.a.stale:
            dossier.add(Paragraph(self.t("no_stale")))
            return
        limit = self.day(years_before(self.a.as_of, self.a.stale_after_years))
        # Old values are already flagged in the dimension tables; here each series is named once.
        by_series: dict[SeriesKey, list[Evidence]] = {}
        for e in self.a.stale:
            by_series.setdefault(series_key(e), []).append(e)
        lines = []
        for series in by_series.values():
            newest = max(series, key=lambda e: (e.period_end, e.period_start))
            lines.append(
                self.t(
                    "stale_series",
                    label=self.cut(f"{self.label(newest)} ({present.source_name(newest)})", newest),
                    count=len(series),
                    period=self.period(newest),
                    ref=self.ref(newest),
                )
            )
        dossier.add(Paragraph(self.t("stale_intro", date=limit)), Bullets(lines))

    def methods(self, dossier: Dossier) -> None:
        dossier.add(Heading(self.t("h_methods")))
        for paragraph in self.t("methods", stale=self.a.stale_after_years).split("\n"):
            dossier.add(Paragraph(paragraph))

    def citations(self, dossier: Dossier) -> None:
        entries = [
            CitationEntry(
                number=c.number,
                description=c.describe(self.lang),
                url=c.landing_url or "",
                snapshot_sha256=c.snapshot_sha256,
                parts=tuple(c.parts(self.lang)),
            )
            for c in self.cites.citations()
        ]
        dossier.add(Heading(self.t("h_citations")), CitationList(entries))


DIMENSION_ORDER = {name: index for index, name in enumerate((*DIMENSIONS, "context"))}


def _cut_plain(text_: str, limit: int, lang: str) -> str:
    """Text cut with « […] » when no annex carries the rest (the stored snapshot does)."""
    cut = present.shorten(text_, limit, lang)
    marker = " (" + pick(lang, "texte intégral en annexe", "full text in the annex")
    head, _, _ = cut.rpartition(marker)
    suffix = pick(lang, " (texte intégral : dossier avec --annex)", " (full text: dossier with --annex)")
    return f"{head}{suffix}" if head else cut


def build_dossier(
    assessment: Assessment,
    lang: str = "fr",
    today: Assessment | None = None,
    *,
    charts: bool = True,
    annex: bool = False,
    bodies: Mapping[str, bytes] | None = None,
    costs: Sequence[MonthlyCost] = (),
) -> Dossier:
    """The dossier for ``assessment`` in ``lang``; ``today`` adds the "contest an opinion" sections.

    ``charts=False`` skips drawing charts (Markdown cannot carry them, and drawing is the slow part);
    ``annex=True`` appends, for each cited document whose kept body is in ``bodies`` (by sha256), its cited
    pages (PDF) or an extract, then the full text of anything cut to fit a page.
    """
    return _Builder(assessment, lang, today, charts, annex, bodies, costs).build()
