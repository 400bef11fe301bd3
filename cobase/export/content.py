"""What a dossier says, decided once for every format: from an :class:`Assessment` to a :class:`Dossier`.

Reading order follows what a lawyer or an OFII physician looks for: who and what the dossier is about
and as of when; a per-dimension summary; what was published after the opinion (when contesting one);
what is missing; what is disputed; the detail of every dimension with its chart and table; old data;
what cobase does and does not assert; and the numbered sources, each with its snapshot hash.
Building a dossier reads only the assessment: it never touches the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from cobase import __version__
from cobase.evidence.model import Assessment, Dimension, Evidence, Trend
from cobase.export import names
from cobase.export.charts import chart_to_png, timeline_chart, value_text
from cobase.export.citations import CitationIndex
from cobase.export.document import (
    Bullets,
    CitationEntry,
    CitationList,
    Dossier,
    Fields,
    Group,
    Heading,
    Image,
    Paragraph,
    Table,
)
from cobase.export.texts import TEXTS, check_lang, format_day, format_moment, format_period, pick, text

SeriesKey = tuple[str, str, str, str | None]
"""(source, indicator, breakdown, item): one line on a chart, one row in the side-by-side table."""

EVIDENCE_WIDTHS = [14.0, 18.0, 12.0, 12.0, 36.0, 8.0]


def series_key(evidence: Evidence) -> SeriesKey:
    """The series ``evidence`` belongs to (the engine keys ``Dimension.latest`` the same way)."""
    return (evidence.source, evidence.indicator, evidence.breakdown, evidence.item)


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February), as the engine counts."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def format_number(number: float, lang: str) -> str:
    """A computed number (trend ends) without spurious decimals, with a decimal comma in French."""
    shown = f"{number:.6g}"
    return shown.replace(".", ",") if lang == "fr" else shown


def item_names(assessment: Assessment) -> dict[str, tuple[str, str]]:
    """French and English names of the assessment's items, so the dossier does not show bare ids.

    The catalogue names every item it knows; gaps carry the names the engine used. An item nobody
    names is shown by its id rather than failing the dossier.
    """
    known = names.catalogue_item_names()
    known.update({gap.id: (gap.name_fr, gap.name_en) for gap in assessment.gaps if gap.kind == "item"})
    return known


class _Builder:
    """Builds one dossier; holds the language, the citation numbering and the item names."""

    def __init__(self, assessment: Assessment, lang: str, today: Assessment | None, charts: bool) -> None:
        self.a = assessment
        self.lang = check_lang(lang)
        self.today = today
        self.charts = charts
        self.cites = CitationIndex()
        self.names = item_names(assessment)
        if today is not None:
            self.names.update(item_names(today))

    # Small helpers ---------------------------------------------------------------------------------

    def t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    def day(self, value: date) -> str:
        return format_day(value, self.lang)

    def item_name(self, item_id: str) -> str:
        fr, en = self.names.get(item_id, (item_id, item_id))
        return pick(self.lang, fr, en)

    def label(self, evidence: Evidence) -> str:
        parts = [pick(self.lang, evidence.label_fr, evidence.label_en)]
        if evidence.items:
            parts.append(", ".join(self.item_name(i) for i in evidence.items))
        if evidence.breakdown:
            parts.append(evidence.breakdown)
        return " — ".join(parts)

    def direction(self, direction: str) -> str:
        """A trend direction in words; an unknown one is shown as the engine wrote it."""
        key = f"trend_{direction}"
        return self.t(key) if key in TEXTS else direction

    def period(self, evidence: Evidence) -> str:
        return format_period(evidence.period_start, evidence.period_end, self.lang)

    def flags(self, evidence: Evidence) -> list[str]:
        flags = []
        if evidence.stale:
            flags.append(self.t("flag_stale"))
        if evidence.revised_later:
            flags.append(self.t("flag_revised"))
        if evidence.republishes:
            flags.append(self.t("flag_republishes", source=evidence.republishes))
        if evidence.published_at is None:
            flags.append(self.t("flag_no_publication_date"))
        return flags

    def statement(self, evidence: Evidence) -> str:
        """One value in a sentence: what, how much, when, where from."""
        flags = self.flags(evidence)
        extra = f" — {'; '.join(flags)}" if flags else ""
        colon = " :" if self.lang == "fr" else ":"  # French typography puts a space before the colon
        return (
            f"{self.label(evidence)} ({evidence.source}){colon} {value_text(evidence)} "
            f"({self.period(evidence)}) {self.cites.ref(evidence)}{extra}"
        )

    def evidence_table(self, evidence: Iterable[Evidence]) -> Table:
        """Evidence grouped by series (named once), each row a dated value with its notes and citation."""
        by_series: dict[SeriesKey, list[Evidence]] = {}
        for e in evidence:
            by_series.setdefault(series_key(e), []).append(e)
        rows: list[list[str] | Group] = []
        for series in by_series.values():
            rows.append(Group(f"{self.label(series[0])} ({series[0].source})"))
            for e in sorted(series, key=lambda e: (e.period_start, e.period_end)):
                notes = self.flags(e)
                if e.quote:
                    notes.append(f"« {e.quote} »" if self.lang == "fr" else f"“{e.quote}”")
                rows.append(
                    [
                        self.period(e),
                        value_text(e),
                        self.day(e.published_at.date()) if e.published_at else "—",
                        self.day(e.retrieved_at.date()),
                        "; ".join(notes),
                        self.cites.ref(e),
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
        dossier = Dossier(
            lang=self.lang,
            title=title,
            subject=f"{country} — {pathology} — {self.day(a.as_of)}",
            footer=self.t(
                "footer",
                country=country,
                pathology=pathology,
                as_of=self.day(a.as_of),
                generated=self.day(a.generated_at.date()),
            ),
            created_at=a.generated_at,
        )
        self.identity(dossier, country, pathology)
        self.summary(dossier)
        if a.published_after_as_of or self.today is not None:
            self.published_after(dossier)
        self.gaps(dossier)
        self.contradictions(dossier)
        self.details(dossier)
        self.stale(dossier)
        self.methods(dossier)
        self.citations(dossier)
        dossier.add(Paragraph(self.t("no_patient_data"), emphasis=True))
        return dossier

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
            Heading(dossier.title, level=0),
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
            directions = Counter(t.direction for t in d.trend)
            trend_text = ", ".join(
                f"{self.direction(direction)} ({count})" for direction, count in sorted(directions.items())
            )
            newest = max(d.evidence, key=lambda e: (e.period_end, e.period_start), default=None)
            rows.append(
                [
                    pick(self.lang, d.label_fr, d.label_en),
                    str(len(d.evidence)),
                    f"{', '.join(d.sources)} ({len(d.independent_sources)})" if d.sources else self.t("none"),
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

    def published_after(self, dossier: Dossier) -> None:
        late = self.late_evidence()
        dossier.add(Heading(self.t("h_published_after")))
        if late:
            dossier.add(
                Paragraph(self.t("published_after_intro", date=self.day(self.a.as_of))),
                self.evidence_table(late),
            )
        else:
            dossier.add(Paragraph(self.t("published_after_none")))
        rows = self.side_by_side_rows(late)
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

    def late_evidence(self) -> list[Evidence]:
        """Evidence published after as-of: the engine's list, plus what the today assessment knows."""
        late = list(self.a.published_after_as_of)
        if self.today is not None:
            late += [
                e
                for d in self.today.dimensions
                for e in d.evidence
                if (e.published_at or e.retrieved_at).date() > self.a.as_of
            ]
        unique: dict[tuple[object, ...], Evidence] = {}
        for e in late:
            unique.setdefault(
                (*series_key(e), e.snapshot_sha256, e.url, e.period_start, e.period_end, e.value), e
            )
        return sorted(unique.values(), key=lambda e: (e.source, e.indicator, e.breakdown, e.period_start))

    def side_by_side_rows(self, late: list[Evidence]) -> list[list[str]]:
        """Per series, the newest value at the opinion date and the newest known now.

        Without a today assessment, "now" is the opinion-date evidence updated by what was published
        after it: the newest period wins, and a later version of the same period replaces the earlier.
        """
        dimension_of: dict[SeriesKey, str] = {}
        before: dict[SeriesKey, Evidence] = {}
        for d in self.a.dimensions:
            for e in d.latest:
                dimension_of[series_key(e)] = pick(self.lang, d.label_fr, d.label_en)
                before[series_key(e)] = e
        now: dict[SeriesKey, Evidence] = {}
        if self.today is not None:
            for d in self.today.dimensions:
                for e in d.latest:
                    dimension_of.setdefault(series_key(e), pick(self.lang, d.label_fr, d.label_en))
                    now[series_key(e)] = e
        else:
            now = dict(before)
            for e in late:
                current = now.get(series_key(e))
                if current is None or e.period_start >= current.period_start:
                    now[series_key(e)] = e
        keys = sorted(set(before) | set(now), key=lambda k: (dimension_of.get(k, "~"), str(k)))
        rows = []
        for key in keys:
            sample = before.get(key) or now[key]
            rows.append(
                [
                    dimension_of.get(key, "—"),
                    f"{self.label(sample)} ({sample.source})",
                    self.cell(before.get(key)),
                    self.cell(now.get(key)),
                ]
            )
        return rows

    def cell(self, evidence: Evidence | None) -> str:
        if evidence is None:
            return self.t("no_data_cell")
        return f"{value_text(evidence)} ({self.period(evidence)}) {self.cites.ref(evidence)}"

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
                Paragraph(pick(self.lang, c.description_fr, c.description_en), emphasis=True),
                self.evidence_table(c.sides),
            )

    def details(self, dossier: Dossier) -> None:
        dossier.add(Heading(self.t("h_details")))
        if not self.charts:
            dossier.add(Paragraph(self.t("charts_elsewhere"), small=True))
        for d in self.a.dimensions:
            self.dimension(dossier, d)

    def dimension(self, dossier: Dossier, d: Dimension) -> None:
        dossier.add(Heading(pick(self.lang, d.label_fr, d.label_en), level=2))
        if not d.evidence:
            dossier.add(Paragraph(self.t("dimension_no_evidence"), emphasis=True))
            return
        producers = {e.source: e.producer for e in d.evidence}
        sources = ", ".join(f"{producers[s]} ({s})" for s in d.sources)
        dossier.add(Paragraph(self.t("dimension_sources", count=len(d.evidence), sources=sources)))
        republished = sorted({(e.source, e.republishes) for e in d.evidence if e.republishes})
        for source, original in republished:
            dossier.add(Paragraph(self.t("republishes_note", source=source, original=original), small=True))
        dossier.add(Heading(self.t("h_latest"), level=3), Bullets([self.statement(e) for e in d.latest]))
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
        dossier.add(Heading(self.t("h_evidence"), level=3), self.evidence_table(d.evidence))

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
        label = f"{self.label(last)} ({last.source})" if last else f"{trend.indicator} ({trend.source})"
        line = self.t(
            "trend_line",
            label=label,
            first=format_number(trend.first_value, self.lang),
            first_period=trend.first_period.year,
            last=format_number(trend.last_value, self.lang),
            last_period=trend.last_period.year,
            direction=self.direction(trend.direction),
            points=trend.points,
        )
        return f"{line} {self.cites.ref(last)}" if last else line

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
                    label=f"{self.label(newest)} ({newest.source})",
                    count=len(series),
                    period=self.period(newest),
                    ref=self.cites.ref(newest),
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


def build_dossier(
    assessment: Assessment, lang: str = "fr", today: Assessment | None = None, *, charts: bool = True
) -> Dossier:
    """The dossier for ``assessment`` in ``lang``; ``today`` adds the "contest an opinion" sections.

    ``charts=False`` skips drawing charts (Markdown cannot carry them, and drawing is the slow part).
    """
    return _Builder(assessment, lang, today, charts).build()
