"""``bench/scale_payloads.py``: the --scale payloads are in the sources' real formats, deterministic, and
a revision changes about 5 % of the values; each is read by the source's own parser."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from bench.scale_payloads import GHO_PAGE_ROWS, gho_codes, write_gho, write_unaids, write_worldbank
from cobase.parse import get_parser


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_gho_pages_are_linked_by_next_link_and_deterministic(tmp_path: Path) -> None:
    rows = write_gho(tmp_path / "a", ["HIV_ARTCOVERAGE"], seed=1, revised=False)
    write_gho(tmp_path / "b", ["HIV_ARTCOVERAGE"], seed=1, revised=False)
    assert rows == 194 * 25 * 3 == 14_550
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    routes = json.loads((tmp_path / "a" / "routes.json").read_text())
    assert [route["query"] for route in routes] == [{}, {"$skip": str(GHO_PAGE_ROWS)}]
    first = json.loads((tmp_path / "a" / "HIV_ARTCOVERAGE_0.json").read_bytes())
    assert (
        first["@odata.nextLink"] == f"https://ghoapi.azureedge.net/api/HIV_ARTCOVERAGE?$skip={GHO_PAGE_ROWS}"
    )
    assert "@odata.nextLink" not in json.loads(
        (tmp_path / "a" / f"HIV_ARTCOVERAGE_{GHO_PAGE_ROWS}.json").read_bytes()
    )
    parsed = list(get_parser("who_gho")((tmp_path / "a" / "HIV_ARTCOVERAGE_0.json").read_bytes(), "u", {}))
    assert len(parsed) == GHO_PAGE_ROWS


def test_a_revision_changes_about_five_percent_of_gho_values(tmp_path: Path) -> None:
    write_gho(tmp_path / "a", ["X"], seed=1, revised=False)
    write_gho(tmp_path / "b", ["X"], seed=1, revised=True)
    before = json.loads((tmp_path / "a" / "X_0.json").read_bytes())["value"]
    after = json.loads((tmp_path / "b" / "X_0.json").read_bytes())["value"]
    changed = sum(a["NumericValue"] != b["NumericValue"] for a, b in zip(before, after, strict=True))
    assert changed == GHO_PAGE_ROWS // 20


def test_gho_codes_are_the_configured_then_bench_ones() -> None:
    assert gho_codes(["A", "B"], 0.1) == ["A", "B", "BENCH_GHO_01", "BENCH_GHO_02"]
    assert gho_codes(["A", "B"], 0.01) == ["A"]


def test_worldbank_pages_cover_every_country(tmp_path: Path) -> None:
    rows = write_worldbank(tmp_path, ["SH.XPD.OOPC.CH.ZS"], page_size=100, scale=0.02, seed=1, revised=False)
    assert rows == 249
    metadata, page = json.loads((tmp_path / "SH.XPD.OOPC.CH.ZS_1.json").read_bytes())
    assert (metadata["pages"], metadata["total"], len(page)) == (3, 249, 100)
    parsed = list(get_parser("worldbank_wdi")((tmp_path / "SH.XPD.OOPC.CH.ZS_1.json").read_bytes(), "u", {}))
    assert len(parsed) == 100


def test_unaids_zip_holds_the_asked_rows(tmp_path: Path) -> None:
    rows = write_unaids(tmp_path, "public/documents", scale=0.01, seed=1, revised=False)
    assert rows == 5_000
    with zipfile.ZipFile(tmp_path / "Estimates_2025_en.zip") as archive:
        lines = archive.read("Estimates_2025_en.csv").decode().splitlines()
    assert len(lines) == 5_001 and lines[0].startswith("Indicator,Unit,Subgroup,Area,Area ID")
    routes = json.loads((tmp_path / "routes.json").read_text())
    assert routes[0]["path"] == "/public/documents/Estimates_2025_en.zip"
