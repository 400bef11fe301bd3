"""The dossier's register section, on a store holding the three Algerian fixture versions."""

from __future__ import annotations

from datetime import date

import pytest

from cobase.evidence import assess
from cobase.export import render_markdown
from tests.register_store import algerian_register_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return algerian_register_store(tmp_path_factory.mktemp("registers"))


def _section(store: str, as_of: date, lang: str = "fr") -> str:
    assessment = assess("DZA", "hiv", ["efavirenz"], as_of, db=store)
    text = render_markdown(assessment, lang)
    heading = "## Registres nationaux du médicament" if lang == "fr" else "## National medicine registers"
    start = text.index(heading)
    return text[start : text.index("\n## ", start + 5)]


def test_each_version_with_its_status_and_citation(store: str) -> None:
    section = _section(store, date(2026, 12, 1))
    versions = [line for line in section.splitlines() if line.startswith("#### ")]
    assert [line.split(" [")[0] for line in versions] == [
        "#### Version du 01/07/2018 (date du document)",
        "#### Version du 31/12/2019 (date du document)",
        "#### Version du 28/02/2026 (date du document)",
    ] and all(line.rstrip().endswith("]") for line in versions)


def test_withdrawal_with_date_and_reason(store: str) -> None:
    assert "retiré le 08/11/2023 (« RETRAIT A L'ECHELLE MONDIALE" in _section(store, date(2026, 12, 1))


def test_dated_gap_when_no_product_is_registered(store: str) -> None:
    assert "**Aucun produit contenant Éfavirenz n'est enregistré au 28/02/2026.**" in _section(
        store, date(2026, 12, 1)
    )


def test_as_of_between_versions_stops_at_the_earlier_one(store: str) -> None:
    section = _section(store, date(2021, 6, 1))
    assert "31/12/2019" in section and "28/02/2026" not in section.replace("postérieure", "")


def test_english_dossier(store: str) -> None:
    expected = "STOCRIN (EFAVIRENZ, 600MG, COMPRIME PELLICULE) — MERCK SHARP \\& DOHME LIMITED, ROYAUME UNI: "
    assert f"{expected}withdrawn on 2023-11-08" in _section(store, date(2026, 12, 1), "en")


def test_dated_gap_is_also_an_assessment_gap(store: str) -> None:
    assessment = assess("DZA", "hiv", ["efavirenz"], date(2026, 12, 1), db=store)
    assert [g.message_fr for g in assessment.gaps if g.kind == "register"] == [
        "Aucun produit contenant Éfavirenz n'est enregistré au 28/02/2026 "
        "(Ministère de l'Industrie Pharmaceutique (Algérie), version du 28/02/2026)."
    ]
