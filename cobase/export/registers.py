"""The dossier's register section: per national register and chosen medicine, the register timeline.

For each version known by the as-of date, the products containing the medicine with their status (and a
withdrawal's date and reason), or the dated gap « aucun produit contenant X n'est enregistré au … ». Each
version is cited by the reference of its kept file (the same numbered reference as the register's values
in the availability dimension). Wording comes from :mod:`cobase.present`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cobase import present
from cobase.evidence.model import Evidence
from cobase.evidence.register_timeline import RegisterTimeline, RegisterVersion
from cobase.export.document import Bullets, Dossier, Heading, Paragraph

if TYPE_CHECKING:
    from cobase.export.content import _Builder

VERSIONS_SHOWN = 6
"""Versions listed per register and medicine, the latest ones (older ones are in the kept files)."""


def register_section(builder: _Builder, dossier: Dossier) -> None:
    """Add the register timelines of the assessment (nothing when no register covers the country)."""
    timelines = [timeline for timeline in builder.a.registers if timeline.versions]
    if not timelines:
        return
    lang = builder.lang
    dossier.add(
        Heading(present.pick(lang, "Registres nationaux du médicament", "National medicine registers")),
        Paragraph(
            present.pick(
                lang,
                "Pour chaque médicament choisi, les produits qui le contiennent dans le registre officiel du "
                "pays, version par version : enregistrés, non renouvelés, retirés (date et motif), ou qui ne "
                "figurent plus sur la liste. Une version sans produit enregistré est une lacune datée.",
                "For each chosen medicine, the products containing it in the country's official register, "
                "version by version: registered, not renewed, withdrawn (date and reason) or no longer "
                "listed. A version with no registered product is a dated gap.",
            ),
            small=True,
        ),
    )
    for timeline in timelines:
        _timeline(builder, dossier, timeline)


def _timeline(builder: _Builder, dossier: Dossier, timeline: RegisterTimeline) -> None:
    lang = builder.lang
    name = builder.item_name(timeline.item)
    source = present.republished_producer(timeline.source)
    dossier.add(
        Heading(f"{name} — {source}", level=2), Paragraph(present.register_scope_note(name, lang), small=True)
    )
    for version in timeline.versions[-VERSIONS_SHOWN:]:
        ref = _ref(builder, version)
        heading = f"{present.register_version_heading(version, lang)} {ref}".rstrip()
        dossier.add(Heading(heading, level=3))
        if version.is_gap:
            dossier.add(
                Paragraph(present.register_gap_sentence(name, version.version_date, lang), emphasis=True)
            )
        if version.products:
            dossier.add(Bullets([present.register_entry_sentence(entry, lang) for entry in version.products]))
    if timeline.later_versions:
        count, day = timeline.later_versions, builder.day(timeline.as_of)
        note = present.pick(
            lang,
            f"{count} version(s) postérieure(s) au {day} non prise(s) en compte.",
            f"{count} version(s) later than {day} left out.",
        )
        dossier.add(Paragraph(note, small=True))


def _ref(builder: _Builder, version: RegisterVersion) -> str:
    """The numbered reference of the version's kept file, through a value of it the assessment holds."""
    for evidence in _register_evidence(builder):
        if evidence.source == version.source and evidence.snapshot_sha256 == version.snapshot_sha256:
            return builder.ref(evidence)
    # No value of this version concerns the patient (a gap): the kept file is cited by itself.
    kept = present.pick(builder.lang, "fichier conservé", "kept file")
    return f"({kept} : {version.url}, SHA-256 {version.snapshot_sha256[:16]}…)".replace(
        " : ", ": " if builder.lang == "en" else f"{present.NNBSP}: "
    )


def _register_evidence(builder: _Builder) -> list[Evidence]:
    return [e for d in builder.a.dimensions for e in d.evidence if e.indicator.startswith("NATREG_")]
