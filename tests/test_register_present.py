"""The register timeline's wording (cobase.present): statuses in words, products as the ministry wrote
them, withdrawals with date and reason, dated gaps, version headings saying what their date is."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cobase import present
from cobase.evidence.register_timeline import ProductEntry, RegisterVersion

STOCRIN = {
    "NOM DE MARQUE": "STOCRIN",
    "DCI": "EFAVIRENZ",
    "DOSAGE": "600MG",
    "FORME": "COMPRIME PELLICULE",
    "DETENTEUR": "MERCK SHARP & DOHME LIMITED",
    "PAYS": "ROYAUME UNI",
    "DATE D'ENREGISTREMENT INITIAL": "2006-07-23",
}


def _version(basis: str) -> RegisterVersion:
    return RegisterVersion(
        "dz_miph_nomenclature",
        date(2019, 12, 31),
        None,
        basis,
        datetime(2026, 3, 5, tzinfo=UTC),
        "",
        "",
        "published_by",
    )


def test_status_in_french_and_english() -> None:
    assert [present.register_status_label("not_renewed", lang) for lang in ("fr", "en")] == [
        "non renouvelé",
        "not renewed",
    ]


def test_registered_product_says_since_when() -> None:
    entry = ProductEntry("024/13 P 287", "efavirenz", "registered", STOCRIN)
    assert present.register_entry_sentence(entry) == (
        "STOCRIN (EFAVIRENZ, 600MG, COMPRIME PELLICULE) — MERCK SHARP & DOHME LIMITED, ROYAUME UNI\u202f: "
        "enregistré depuis le 23/07/2006"
    )


def test_withdrawn_product_gives_date_and_reason() -> None:
    entry = ProductEntry(
        "024/13 P 287",
        "efavirenz",
        "withdrawn",
        STOCRIN,
        (date(2023, 11, 8), date(2023, 11, 8)),
        "RETRAIT MONDIAL ",
    )
    assert present.register_entry_sentence(entry, "en").endswith(
        ": withdrawn on 2023-11-08 (“RETRAIT MONDIAL”)"
    )


def test_gap_is_dated() -> None:
    assert present.register_gap_sentence("Dolutégravir", date(2026, 2, 28)) == (
        "Aucun produit contenant Dolutégravir n'est enregistré au 28/02/2026."
    )


def test_version_heading_says_what_its_date_is() -> None:
    assert (
        present.register_version_heading(_version("document_date"))
        == "Version du 31/12/2019 (date du document)"
    )
    assert present.register_version_heading(_version("first_seen"), "en") == (
        "Version of 2019-12-31 (no published date, retrieved on 2026-03-05)"
    )
