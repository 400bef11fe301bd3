"""The ``cobase`` command: a thin skin over the library (tests call the same functions).

Errors are one clear sentence on stderr with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cobase.clock import BadDateError, parse_day, utcnow
from cobase.redact import install_log_redaction, redact_text, redact_url, register_database_url
from cobase.settings import PROJECT_ROOT, database_url

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from cobase.evidence.cost import MonthlyCost
    from cobase.evidence.model import Assessment
    from cobase.findings import Finding
    from cobase.refresh import SourceSummary
    from cobase.registry import Registry

app = typer.Typer(
    name="cobase",
    help="Base ouverte sur l'accès effectif aux soins dans les pays d'origine / "
    "Open country-of-origin healthcare access base.",
    no_args_is_help=True,
    add_completion=False,
    # Plain help and no Rich tracebacks: Typer's Rich help and traceback machinery took most of the
    # start-up time of every command (1.4 s for `cobase --help` on a loaded machine; bench/cli.py).
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL or SQLite path (default: COBASE_DB or user data dir)."),
]
SourcesOption = Annotated[
    Path | None, typer.Option("--sources", help="sources.yml to use instead of the project's.")
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear sentence and return the exit to raise."""
    # Secrets never reach the terminal or a log file, whatever the error quotes (a URL, a DSN); escaped,
    # since a message may quote what the user typed or an install hint such as '.[postgres]'.
    err_console.print(
        f"[bold red]Erreur / Error:[/] {escape(redact_text(message))}", highlight=False, soft_wrap=True
    )
    return typer.Exit(code)


def _engine(db: str | None, create: bool = True, code: int = 2) -> Engine:
    """The store's engine; read commands pass ``create=False`` (they never create a store)."""
    from cobase.db import StoreError, open_store

    # Every command opens the store here: from now on no log line or message shows its password.
    register_database_url(database_url(db))
    install_log_redaction()
    try:
        return open_store(db, create=create)
    except StoreError as exc:
        raise fail(str(exc), code) from exc


def _shown(db: str | None) -> str:
    """The database URL as it may be printed: without its password."""
    from sqlalchemy.engine import make_url

    return make_url(database_url(db)).render_as_string(hide_password=True)


MAX_WINDOW_YEARS = 100
"""No source reaches further back; a larger --window is a typing mistake, not a question."""


def _as_of_day(as_of: str | None) -> date | None:
    """``--as-of`` as a date: absent means today, but an empty or future date is a mistake to say."""
    if as_of is None:
        return None
    day = parse_day(as_of)  # an empty string is refused here, never read as "today"
    # One day of grace: in Paris after 23:00 UTC, the local date is already tomorrow in UTC terms.
    if day > utcnow().date() + timedelta(days=1):
        raise BadDateError(
            f"la date --as-of {day.isoformat()} est dans le futur : rien n'a encore été publié à cette "
            "date / --as-of is in the future"
        )
    return day


def _check_window(window: int) -> None:
    if not 1 <= window <= MAX_WINDOW_YEARS:
        raise fail(
            f"--window compte des années, de 1 à {MAX_WINDOW_YEARS}, pas {window} / "
            f"--window is a number of years between 1 and {MAX_WINDOW_YEARS}"
        )


def _summary_table(summaries: list[SourceSummary]) -> Table:
    table = Table(title="Refresh summary")
    for column in (
        "source",
        "status",
        "snapshots new",
        "unchanged",
        "obs. new",
        "unchanged",
        "revised",
        "withdrawn",
        "skipped",
        "errors",
    ):
        table.add_column(column, justify="right" if column not in ("source", "status") else "left")
    for summary in summaries:
        table.add_row(
            summary.key,
            {"success": "[green]success[/]", "skipped": "[yellow]skipped[/]"}.get(
                summary.status, "[red]failed[/]"
            ),
            str(summary.snapshots_new),
            str(summary.snapshots_unchanged),
            str(summary.observations.new),
            str(summary.observations.unchanged),
            str(summary.observations.revised),
            str(summary.observations.withdrawn),
            str(summary.skipped),
            str(len(summary.errors)),
        )
    return table


REFRESH_BUSY_EXIT = 75
"""Exit code when another refresh of the store holds its lock (EX_TEMPFAIL: try again later)."""


def run_refresh(registry: Registry, db: str | None, sources: list[str] | None, wait: float = 0.0) -> int:
    """Refresh with a live progress display; print the summary and errors; return the exit code."""
    from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

    from cobase.db import StoreError
    from cobase.refresh import refresh
    from cobase.registry import SourcesFileError
    from cobase.runs import RefreshBusy
    from cobase.store_errors import is_disk_full, storage_failure

    engine = _engine(db)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(event: str, summary: SourceSummary) -> None:
            if summary.key not in tasks:
                tasks[summary.key] = progress.add_task(summary.key)
            state = "terminé" if event == "done" else "en cours"
            progress.update(
                tasks[summary.key],
                description=f"{summary.key}: {state}, {summary.snapshots_new + summary.snapshots_unchanged} "
                f"réponses, {summary.observations.new} nouvelles observations, {len(summary.errors)} erreurs",
            )

        try:
            summaries = refresh(engine, registry, sources or None, progress=on_progress, wait=wait)
        except SourcesFileError as exc:  # a malformed COBASE_SCRAPY_SETTINGS, before any run starts
            raise fail(str(exc)) from exc
        except RefreshBusy as exc:
            raise fail(str(exc), REFRESH_BUSY_EXIT) from exc
        except StoreError as exc:
            raise fail(str(exc), 1) from exc
        except Exception as exc:  # a write refused before any source ran (full disk, read-only store)
            if is_disk_full(exc) or "readonly" in str(exc).lower():
                raise fail(storage_failure("the refresh", exc), 1) from exc
            raise
    console.print(_summary_table(summaries))
    if any(summary.disk_full for summary in summaries):
        err_console.print(
            "[bold red]Le disque est plein / Disk full:[/] the refresh stopped storing responses; nothing "
            "stored before was changed: free some space and run `cobase refresh` again.",
            highlight=False,
        )
    for summary in summaries:
        if summary.skipped_reason:
            err_console.print(f"[yellow]{summary.key}[/]: {summary.skipped_reason}", highlight=False)
        if summary.tls_unverified:
            err_console.print(
                f"[yellow]{summary.key}[/]: TLS certificate verification disabled by sources.yml "
                "(verify_tls: false)",
                highlight=False,
            )
        for error in summary.errors[:10]:
            err_console.print(f"[red]{summary.key}[/]: {redact_text(error)}", highlight=False)
        if len(summary.errors) > 10:
            err_console.print(f"[red]{summary.key}[/]: ... and {len(summary.errors) - 10} more errors")
        if summary.unknown_countries:
            codes = ", ".join(sorted(summary.unknown_countries))
            err_console.print(f"[yellow]{summary.key}[/]: unknown country codes set aside: {codes}")
        if summary.set_aside:
            reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(summary.set_aside.items()))
            err_console.print(f"[yellow]{summary.key}[/]: rows set aside ({reasons})", highlight=False)
        for warning in summary.warnings:
            err_console.print(f"[yellow]{summary.key}[/]: {warning}", highlight=False)
    return 0 if all(summary.ok for summary in summaries) else 1


@app.command()
def refresh(
    source: Annotated[list[str] | None, typer.Argument(help="Source keys (default: all).")] = None,
    sources: SourcesOption = None,
    db: DbOption = None,
    due: Annotated[
        bool,
        typer.Option(
            "--due",
            help="Only the sources whose refresh_every_days (sources.yml) have passed since their last "
            "successful refresh.",
        ),
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            help="If another refresh of this store is running, wait up to SECONDS for it (default: exit).",
            min=0,
        ),
    ] = 0.0,
) -> None:
    """Crawl sources, keep snapshots, ingest observations; exit 1 if any source failed."""
    from cobase.registry import SourcesFileError, load_registry

    try:
        registry = load_registry(sources)
        for key in source or []:
            registry.get(key)
    except SourcesFileError as exc:
        raise fail(str(exc)) from exc
    if due:
        source = _due_sources(registry, db, source)
        if not source:
            console.print("Aucune source à actualiser. / No source is due.")
            raise typer.Exit(0)
    raise typer.Exit(run_refresh(registry, db, source, wait=wait))


def _due_sources(registry: Registry, db: str | None, keys: list[str] | None) -> list[str]:
    """The keys ``--due`` refreshes, each decision printed in one line (what a cron log should show)."""
    from cobase.db import session_scope
    from cobase.schedule import due_sources

    with session_scope(_engine(db)) as session:
        decisions = due_sources(session, registry, keys)
    for decision in decisions:
        err_console.print(decision.reason, highlight=False, markup=False)
    return [decision.key for decision in decisions if decision.due]


@app.command()
def reparse(
    source: Annotated[str, typer.Argument(help="Source key.")],
    sources: SourcesOption = None,
    db: DbOption = None,
) -> None:
    """Parse again, without the network, snapshots that failed to parse (e.g. after a parser fix)."""
    from cobase.refresh import reparse_pending
    from cobase.registry import SourcesFileError, load_registry

    try:
        registry = load_registry(sources)
        registry.get(source)
    except SourcesFileError as exc:
        raise fail(str(exc)) from exc
    summary = reparse_pending(_engine(db, create=False), registry, source)
    console.print(_summary_table([summary]))
    for error in summary.errors:
        err_console.print(f"[red]{source}[/]: {error}", highlight=False)
    raise typer.Exit(0 if summary.ok else 1)


@app.command()
def rebuild(
    source: Annotated[list[str] | None, typer.Argument(help="Source keys (default: all).")] = None,
    sources: SourcesOption = None,
    db: DbOption = None,
) -> None:
    """Parse every stored snapshot again with today's parsers and catalogue, without the network."""
    from cobase.processing import PROCESSING_VERSION
    from cobase.rebuild import rebuild as rebuild_sources
    from cobase.registry import SourcesFileError, load_registry

    try:
        registry = load_registry(sources)
        for key in source or []:
            registry.get(key)
    except SourcesFileError as exc:
        raise fail(str(exc)) from exc
    summaries = rebuild_sources(_engine(db, create=False), registry, source or None)
    table = Table(title=f"Reconstruction (traitement v{PROCESSING_VERSION}) — {redact_url(database_url(db))}")
    for column in ("source", "snapshots", "unchanged", "corrected", "removed", "added", "merged", "errors"):
        table.add_column(column)
    for summary in summaries:
        table.add_row(
            summary.key,
            str(summary.snapshots + summary.reparsed),
            str(summary.unchanged),
            str(summary.changed),
            str(summary.removed),
            str(summary.added),
            str(summary.merged),
            str(len(summary.errors)),
        )
    console.print(table)
    for summary in summaries:
        for error in summary.errors[:10]:
            err_console.print(f"[red]{summary.key}[/]: {error}", highlight=False)
    raise typer.Exit(0 if all(summary.ok for summary in summaries) else 1)


@app.command()
def status(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    max_age: Annotated[
        float, typer.Option("--max-age", help="Days after which a source's last success is stale.", min=0)
    ] = 8.0,
) -> None:
    """Per source: last success, freshness, last error, observations, newest period and publication.

    Exit 0 when every refreshed source is fresh, 1 when some is stale, 2 when some failed or was
    interrupted, 3 when the store cannot be opened.
    """
    from datetime import timedelta

    from cobase.clock import utcnow
    from cobase.db import session_scope
    from cobase.health import UNREADABLE, store_health
    from cobase.queries import refresh_due, source_status, status_records

    now = utcnow()
    engine = _engine(db, create=False, code=UNREADABLE)
    try:
        with session_scope(engine) as session:
            statuses = source_status(session)
            due = (
                refresh_due(session, _registry_or_none(), [status.source for status in statuses], now)
                if statuses
                else {}  # an empty store: nothing to judge, and no sources file to read
            )
    except Exception as exc:  # a store damaged or unreadable after it opened
        raise fail(f"cannot read the store: {exc.__class__.__name__}", UNREADABLE) from exc
    health = store_health(statuses, now, timedelta(days=max_age))
    if as_json:
        typer.echo(json.dumps(status_records(statuses, due), indent=2, ensure_ascii=False))
        raise typer.Exit(health.code)
    if not statuses:
        console.print("Aucune donnée. Lancez `cobase refresh` (ou `cobase demo` sans internet).")
        return
    table = Table(title=f"Sources — {redact_url(database_url(db))}")
    for column in (
        "source",
        "last success / freshness",
        "last run",
        "last error",
        "observations",
        "newest period",
        "newest publication",
        "older processing",
        "warnings",
    ):
        table.add_column(column)
    for item in statuses:
        last_run = item.last_run_status or "never"
        if item.last_run_status in ("interrupted", "running") and item.last_seen_alive_at:
            last_run += f" (last seen alive {item.last_seen_alive_at:%Y-%m-%d %H:%M:%S} UTC)"
        table.add_row(
            item.source,
            # Freshness under the date it follows from: a column of its own would squeeze the others.
            (item.last_success_at.isoformat(timespec="seconds") if item.last_success_at else "—")
            + f"\n{due[item.source].words}",
            last_run,
            redact_text(item.last_error.splitlines()[0])[:80] if item.last_error else "",
            str(item.observations),
            item.newest_period.isoformat() if item.newest_period else "—",
            item.newest_published_at.date().isoformat() if item.newest_published_at else "—",
            f"{older} (cobase rebuild)" if (older := item.observations_older_processing) else "",
            _first_warning(item.last_warnings),
        )
    console.print(table)
    console.print(health.sentence, highlight=False)
    raise typer.Exit(health.code)


def _registry_or_none() -> Registry | None:
    """The sources registry, or None when it cannot be read: a store's status does not depend on it, so
    each source then says its freshness is unknown instead of the command failing."""
    from cobase.registry import SourcesFileError, load_registry

    try:
        return load_registry()
    except SourcesFileError:
        return None


def _first_warning(warnings: str | None) -> str:
    """The first warning of a run, shortened, with how many more there are."""
    lines = (warnings or "").splitlines()
    if not lines:
        return ""
    more = f" (+{len(lines) - 1})" if len(lines) > 1 else ""
    return lines[0][:100] + more


@app.command()
def observations(
    country: Annotated[str | None, typer.Option("--country", help="ISO3/ISO2 code or name (FR/EN).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source key.")] = None,
    indicator: Annotated[str | None, typer.Option("--indicator", help="Indicator code.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="Include values later revised by the producer.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Stored observations with their provenance, as CSV or JSON on stdout."""
    from cobase.db import session_scope
    from cobase.harmonize.countries import UnknownCountryError, resolve_country
    from cobase.queries import list_observations, write_observations_csv

    if output_format not in ("csv", "json"):
        raise fail(f"--format must be csv or json, not {output_format!r}")
    iso3 = None
    if country:
        try:
            iso3 = resolve_country(country).iso3
        except UnknownCountryError as exc:
            raise fail(str(exc)) from exc
    engine = _engine(db, create=False)
    with session_scope(engine) as session:
        rows = list_observations(
            session, country_iso3=iso3, source=source, indicator=indicator, all_versions=all_versions
        )
        if output_format == "json":
            typer.echo(json.dumps([row.as_record() for row in rows], indent=2, ensure_ascii=False))
            return
        write_observations_csv(rows, sys.stdout)


PATHOLOGY_HELP = "Pathology: id or French/English name, any case or accents (hiv, VIH, dialyse, diabetes_t2)."
ItemOption = Annotated[
    list[str] | None,
    typer.Option(
        "--item",
        help="Medicine, test or specialist the patient needs (repeatable; free text). Default: the "
        "first-line treatment and follow-up the app pre-ticks.",
    ),
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Only what producers had published by this date (YYYY-MM-DD).")
]


def _assessment(
    country: str, pathology: str, items: list[str] | None, as_of: str | None, window: int, db: str | None
) -> Assessment:
    """Resolve what was typed, then run the evidence engine; every user mistake is one clear sentence."""
    from cobase.catalogue import CatalogueError, load_catalogue
    from cobase.db import StoreError, session_scope
    from cobase.evidence.engine import assess_resolved, resolve_items
    from cobase.harmonize.countries import UnknownCountryError, resolve_country
    from cobase.harmonize.medicines import UnknownMedicineError

    _check_window(window)
    engine = _engine(db, create=False)  # a read command never creates a store
    try:
        day = _as_of_day(as_of)
        catalogue = load_catalogue()
        # In this order, so the first mistake typed is the one reported.
        chosen_country = resolve_country(country)
        chosen_pathology = catalogue.pathology(pathology)
        chosen_items = resolve_items(items, chosen_pathology, catalogue)
        with session_scope(engine) as session:
            return assess_resolved(
                session, chosen_country, chosen_pathology, chosen_items, as_of=day, window_years=window
            )
    except (UnknownCountryError, UnknownMedicineError, CatalogueError, BadDateError, ValueError) as exc:
        raise fail(str(exc)) from exc
    except OverflowError as exc:  # a date arithmetic limit reached by a value no check above foresaw
        raise fail(f"date hors des limites / date out of range ({exc})") from exc
    except StoreError as exc:
        raise fail(str(exc)) from exc


@app.command()
def assess(
    country: Annotated[str, typer.Option("--country", help="ISO3/ISO2 code or name (FR/EN).")],
    pathology: Annotated[str, typer.Option("--pathology", help=PATHOLOGY_HELP)],
    item: ItemOption = None,
    as_of: AsOfOption = None,
    window: Annotated[int, typer.Option("--window", help="Years of evidence to consider.")] = 10,
    output_format: Annotated[str, typer.Option("--format", help="json or md.")] = "json",
    db: DbOption = None,
) -> None:
    """Evidence of effective access per dimension, with gaps, contradictions and stale data."""
    if output_format not in ("json", "md"):
        raise fail(f"--format must be json or md, not {output_format!r}")
    assessment = _assessment(country, pathology, item, as_of, window, db)
    if output_format == "json":
        typer.echo(assessment.model_dump_json(indent=2))
        return
    from cobase.export import render_markdown

    typer.echo(render_markdown(assessment, lang="fr"))


@app.command()
def dossier(
    country: Annotated[str, typer.Option("--country", help="ISO3/ISO2 code or name (FR/EN).")],
    pathology: Annotated[str, typer.Option("--pathology", help=PATHOLOGY_HELP)],
    output_format: Annotated[str, typer.Option("--format", help="pdf, docx or md.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    item: ItemOption = None,
    as_of: AsOfOption = None,
    lang: Annotated[str, typer.Option("--lang", help="fr or en.")] = "fr",
    window: Annotated[int, typer.Option("--window", help="Years of evidence to consider.")] = 10,
    annex: Annotated[
        bool,
        typer.Option(
            "--annex",
            help="Append each cited kept document: its cited pages (PDF) or an extract, with its sha256.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Write a citable dossier (PDF, DOCX or Markdown); never writes to the database."""
    from cobase.db import session_scope
    from cobase.export import write_dossier

    if output_format not in ("pdf", "docx", "md"):
        raise fail(f"--format must be pdf, docx or md, not {output_format!r}")
    if lang not in ("fr", "en"):
        raise fail(f"--lang must be fr or en, not {lang!r}")
    assessment = _assessment(country, pathology, item, as_of, window, db)
    # With an as-of date, the dossier also shows what is known today and what was published since.
    today = _assessment(country, pathology, item, None, window, db) if as_of else None
    bodies: dict[str, bytes] = {}
    if annex:
        from cobase.snapshots import kept_bodies

        cited = {e.snapshot_sha256 for d in assessment.dimensions for e in d.evidence}
        cited |= {e.snapshot_sha256 for e in assessment.published_after_as_of}
        if today is not None:
            cited |= {e.snapshot_sha256 for d in today.dimensions for e in d.latest}
        with session_scope(_engine(db, create=False)) as session:
            bodies = kept_bodies(session, cited)
    costs = _monthly_costs(assessment, db)
    try:
        path = write_dossier(
            assessment, output, output_format, lang=lang, today=today, annex=annex, bodies=bodies, costs=costs
        )
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}") from exc
    console.print(f"Dossier écrit / written: {path}")


finding_app = typer.Typer(
    help="Constats vérifiés ajoutés à la main / Curated findings entered by hand.", no_args_is_help=True
)
app.add_typer(finding_app, name="finding")


def _finding_record(finding: Finding) -> dict[str, object]:
    from dataclasses import asdict

    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in asdict(finding).items()
    }


@finding_app.command("add")
def finding_add(
    country: Annotated[str, typer.Option("--country", help="ISO3/ISO2 code or name (FR/EN).")],
    dimension: Annotated[str, typer.Option("--dimension", help="availability, continuity, affordability...")],
    statement: Annotated[str, typer.Option("--statement", help="What the document says, in one sentence.")],
    period: Annotated[str, typer.Option("--date", help="When it happened: YYYY, YYYY-MM or YYYY-MM-DD.")],
    by: Annotated[str, typer.Option("--by", help="Who enters the finding (name, organisation).")],
    title: Annotated[str, typer.Option("--title", help="The cited document's title.")],
    producer: Annotated[str, typer.Option("--producer", help="Who published the cited document.")],
    url: Annotated[str | None, typer.Option("--url", help="The document's URL (http or https).")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="The document, if uploaded from disk.")] = None,
    item: Annotated[
        str | None, typer.Option("--medicine", "--item", help="Medicine, test or specialist.")
    ] = None,
    quote: Annotated[str | None, typer.Option("--quote", help="The exact words of the document.")] = None,
    page: Annotated[int | None, typer.Option("--page", help="Page of the quote.")] = None,
    published: Annotated[
        str | None, typer.Option("--published", help="The document's publication date (YYYY-MM-DD).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Add a finding from a document (a snapshot of the document is kept)."""
    from cobase.db import session_scope
    from cobase.findings import FindingError, add_finding
    from cobase.harmonize.countries import UnknownCountryError
    from cobase.harmonize.medicines import UnknownMedicineError

    engine = _engine(db)
    try:
        with session_scope(engine) as session:
            finding = add_finding(
                session,
                country=country,
                dimension=dimension,
                statement=statement,
                period=period,
                contributed_by=by,
                title=title,
                producer=producer,
                url=url,
                file=file,
                item=item,
                quote=quote,
                page=page,
                published=parse_day(published) if published is not None else None,
            )
    except (FindingError, UnknownCountryError, UnknownMedicineError, BadDateError) as exc:
        raise fail(str(exc)) from exc
    console.print(f"Constat enregistré / Finding recorded: {finding.finding_id}")


@finding_app.command("list")
def finding_list(
    country: Annotated[str | None, typer.Option("--country", help="ISO3/ISO2 code or name.")] = None,
    include_retracted: Annotated[bool, typer.Option("--include-retracted")] = False,
    db: DbOption = None,
) -> None:
    """List current findings as JSON."""
    from cobase.db import session_scope
    from cobase.findings import list_findings
    from cobase.harmonize.countries import UnknownCountryError, resolve_country

    iso3 = None
    if country:
        try:
            iso3 = resolve_country(country).iso3
        except UnknownCountryError as exc:
            raise fail(str(exc)) from exc
    with session_scope(_engine(db, create=False)) as session:
        findings = list_findings(session, iso3, include_retracted=include_retracted)
    typer.echo(json.dumps([_finding_record(f) for f in findings], indent=2, ensure_ascii=False))


def _set_finding_status(finding_id: str, status: str, by: str, db: str | None) -> None:
    from cobase.db import session_scope
    from cobase.findings import FindingError, set_status

    try:
        with session_scope(_engine(db, create=False)) as session:
            finding = set_status(session, finding_id, status, by)
    except FindingError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{finding.finding_id}: {finding.status} ({finding.versions} versions)")


@finding_app.command("confirm")
def finding_confirm(
    finding_id: Annotated[str, typer.Argument(help="The finding's id.")],
    by: Annotated[str, typer.Option("--by", help="Who confirms it.")],
    db: DbOption = None,
) -> None:
    """Confirm a finding (a new version; the previous one is kept)."""
    _set_finding_status(finding_id, "confirmed", by, db)


@finding_app.command("retract")
def finding_retract(
    finding_id: Annotated[str, typer.Argument(help="The finding's id.")],
    by: Annotated[str, typer.Option("--by", help="Who retracts it.")],
    db: DbOption = None,
) -> None:
    """Retract a finding: it stops counting as evidence, and its history is kept."""
    _set_finding_status(finding_id, "retracted", by, db)


document_app = typer.Typer(
    help="Rapports ajoutés par un utilisateur / Reports added by a user.", no_args_is_help=True
)
app.add_typer(document_app, name="document")


@document_app.command("add")
def document_add(
    title: Annotated[str, typer.Option("--title", help="The report's title.")],
    producer: Annotated[str, typer.Option("--producer", help="Who published it (MSF, UNAIDS, ministry...).")],
    country: Annotated[list[str], typer.Option("--country", help="Country it is about (repeatable).")],
    url: Annotated[str | None, typer.Option("--url", help="The report's URL.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="The report (PDF or HTML) from disk.")] = None,
    published: Annotated[
        str | None, typer.Option("--published", help="Publication date (YYYY-MM-DD).")
    ] = None,
    language: Annotated[str | None, typer.Option("--language", help="fr, en...")] = None,
    db: DbOption = None,
) -> None:
    """Add a PDF or HTML report: kept as a snapshot, its mentions extracted as candidate evidence."""
    from cobase.harmonize.countries import UnknownCountryError, resolve_country
    from cobase.refresh import ingest_raw
    from cobase.registry import SourcesFileError, load_registry
    from cobase.snapshots import DocumentFetchError, fetch_document, is_web_url

    try:
        iso3 = [resolve_country(name).iso3 for name in country]
        day = parse_day(published) if published is not None else None
        if url is not None and not is_web_url(url.strip()):
            raise DocumentFetchError(
                f"l'adresse du rapport doit commencer par http:// ou https:// (reçu {url[:60]!r}) / "
                "the report URL must start with http:// or https://"
            )
        registry = load_registry()
        raw = fetch_document("documents", url.strip() if url else None, file)
    except (UnknownCountryError, BadDateError, SourcesFileError, DocumentFetchError) as exc:
        raise fail(str(exc)) from exc
    raw.request_meta = {
        "listed_url": raw.url,
        "title": title,
        "producer": producer,
        "countries": iso3,
        "published": day.isoformat() if day else None,
        "language": language,
        "added_by_user": True,
    }
    summary = ingest_raw(_engine(db), registry, raw)
    if summary.errors:
        raise fail("; ".join(summary.errors), code=1)
    counts = summary.observations
    console.print(
        f"Rapport conservé / Report kept ({'new' if summary.snapshots_new else 'already known'}): "
        f"{counts.new} mentions candidates / candidate mentions"
    )


@app.command()
def archive(
    source: Annotated[
        str | None,
        typer.Option(
            "--source", help="Only the URLs cited from this source (sources.yml key, or contributed)."
        ),
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Ask Save Page Now to archive cited URLs that have no capture.")
    ] = False,
    sources: SourcesOption = None,
    db: DbOption = None,
) -> None:
    """Look cited URLs up in the Wayback Machine; record their earliest and latest capture."""
    from cobase.archive import SERVICE_KEY, archive_urls
    from cobase.db import session_scope
    from cobase.evidence.references import cited_urls
    from cobase.findings import SOURCE_KEY as FINDINGS_SOURCE
    from cobase.registry import SourcesFileError, load_registry

    try:
        registry = load_registry(sources)
        registry.get(SERVICE_KEY)
        if source and source != FINDINGS_SOURCE:  # curated findings are not a sources.yml entry
            registry.get(source)
    except SourcesFileError as exc:
        raise fail(str(exc)) from exc
    engine = _engine(db, create=False)
    with session_scope(engine) as session:
        urls = cited_urls(session, registry, source)
    if not urls:
        console.print("Aucune adresse citée à rechercher. / No cited URL to look up.")
        return
    service = registry.get(SERVICE_KEY).base_url
    console.print(f"{len(urls)} adresses citées / cited URLs — Internet Archive ({service})", markup=False)
    with session_scope(engine) as session:
        summary = archive_urls(
            session,
            registry,
            urls,
            save=save,
            progress=lambda url, row: console.print(
                f"  {url} — "
                + (
                    f"première capture / earliest {row.earliest_at:%d/%m/%Y}"
                    if row is not None and row.earliest_at
                    else ("aucune capture / no capture" if row is not None else "erreur / error")
                ),
                markup=False,
            ),
        )
    console.print(
        f"Copies archivées / archived: {summary.with_capture}, sans copie / none: {summary.without_capture}"
        + (f", demandées / requested: {summary.saved}" if save else "")
    )
    for message in summary.refused:
        console.print(f"Save Page Now : {message}", markup=False)
    for message in summary.errors:
        err_console.print(message, markup=False)
    if summary.errors:
        raise typer.Exit(1)


@app.command()
def demo(db: DbOption = None) -> None:
    """Load the project's sample files, through the real refresh path, into the demonstration store.

    Without ``--db``, the demonstration store sits next to the real one (``cobase.demo.db``), which the
    app reads, bannered, while the real store is empty. The store is marked as demonstration data, so
    every page and dossier made from it says so; a store that already holds real data is refused.
    """
    from cobase.db import session_scope
    from cobase.demonstration import demonstration_url, is_demonstration, mark_demonstration
    from cobase.fixture_server import fixture_folder, serve_fixtures
    from cobase.queries import has_observations
    from cobase.registry import SourcesFileError, load_registry

    db = db if db is not None else demonstration_url()
    with session_scope(_engine(db)) as session:
        if not is_demonstration(session) and has_observations(session, current_only=False):
            raise fail(
                "cette base contient déjà des données réelles : les données de démonstration vont dans une "
                f"base à part (sans --db : {demonstration_url(db)}) / this store holds real data"
            )
        mark_demonstration(session)

    fixtures = PROJECT_ROOT / "tests" / "fixtures"
    try:
        registry = load_registry()
    except SourcesFileError as exc:
        raise fail(str(exc)) from exc
    folders: dict[str, Path] = {}
    for key, declared in registry.sources.items():
        if declared.is_service:
            continue  # queried on demand (cobase archive), never crawled
        found = fixture_folder(fixtures, key)
        if found is not None:
            folders[key], overrides = found
            if overrides:
                registry = registry.with_overrides(key, **overrides)
    if not folders:
        raise fail(f"no demo fixtures found under {fixtures} (cobase demo needs a source checkout)")
    # Local server: no politeness delay needed, and no robots.txt to ask for.
    os.environ.setdefault(
        "COBASE_SCRAPY_SETTINGS",
        json.dumps({"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False}),
    )
    for key in folders:
        # A local server needs no real credential (e.g. ReliefWeb's pre-approved appname).
        for variable in registry.get(key).env.values():
            os.environ.setdefault(variable, "cobase-demo")
    with serve_fixtures(folders) as base_urls:
        for key, base_url in base_urls.items():
            registry = registry.with_base_url(key, base_url)
        code = run_refresh(registry, db, list(folders))
    if code == 0:
        console.print(
            f"Données de démonstration chargées dans {_shown(db)}. Lancez `cobase app`. / Demo data loaded.",
            markup=False,
        )
    raise typer.Exit(code)


@app.command("app")
def run_app(
    db: DbOption = None,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8501,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on: 127.0.0.1 (this machine only) unless a team reaches it, "
            "e.g. through a reverse proxy (see COBASE_AUTH).",
        ),
    ] = "127.0.0.1",
) -> None:
    """Start the Streamlit app on this database, on this machine only unless --host says otherwise."""
    import streamlit_app
    from cobase.access import AccessSettingError, access_policy
    from cobase.db import StoreError, make_engine

    try:
        access_policy()  # a typo in COBASE_AUTH stops here, in one sentence, not in every page
        make_engine(db).dispose()  # so does a database URL cobase cannot use (nothing is connected yet)
    except (AccessSettingError, StoreError) as exc:
        raise fail(str(exc)) from exc
    entry = Path(streamlit_app.__file__).resolve().parent / "streamlit_app.py"
    env = dict(os.environ)
    env["COBASE_DB"] = database_url(db)
    command = [
        sys.executable,
        "-m",
        "cobase.app_server",  # Streamlit's command line, with the app's libraries imported meanwhile
        "run",
        str(entry),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--browser.gatherUsageStats",
        "false",
        # One sentence for the user, the traceback in the server's log only; no "Deploy" button.
        "--client.showErrorDetails",
        "none",
        "--client.toolbarMode",
        "viewer",
    ]
    raise typer.Exit(subprocess.call(command, env=env))


def main() -> None:
    """The installed ``cobase`` command: every error a user can cause ends in one sentence.

    Commands already turn the errors they expect into one sentence (:func:`fail`); this catches what
    slips through, so an operator's cron log never holds a traceback for a typing mistake. The
    traceback is still available to a developer with ``COBASE_DEBUG=1``.
    """
    try:
        app(prog_name="cobase")
    except KeyboardInterrupt:
        err_console.print("Interrompu / Interrupted.", highlight=False)
        sys.exit(130)
    except Exception as exc:
        # Imported only on an error, so that starting the command line never pays for them (bench/cli.py).
        from cobase.harmonize.countries import UnknownCountryError
        from cobase.registry import SourcesFileError
        from cobase.store_errors import StoreError

        if isinstance(exc, SourcesFileError | BadDateError | UnknownCountryError | StoreError):
            err_console.print(f"Erreur / Error: {redact_text(str(exc))}", highlight=False, markup=False)
            sys.exit(2)
        if os.environ.get("COBASE_DEBUG"):
            raise
        first_line = (str(exc).splitlines() or [""])[0][:300]
        err_console.print(
            f"Erreur inattendue / Unexpected error: {exc.__class__.__name__}: {first_line} "
            "(COBASE_DEBUG=1 shows the details)",
            highlight=False,
            markup=False,
        )
        sys.exit(1)


def _monthly_costs(assessment: Assessment, db: str | None) -> list[MonthlyCost]:
    """The monthly cost of each medicine of an assessment, as of its date (dossiers never read the store)."""
    from cobase.catalogue import ItemKind, load_catalogue
    from cobase.db import session_scope
    from cobase.evidence.cost import monthly_costs

    items = load_catalogue().items
    medicines = [i for i in assessment.items if i in items and items[i].kind == ItemKind.medicine]
    with session_scope(_engine(db, create=False)) as session:
        return monthly_costs(session, assessment.country_iso3, medicines, as_of=assessment.as_of)
