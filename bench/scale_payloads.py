"""Full-size payloads of the main sources in their real formats, for ``bench/refresh.py --scale N``.

Deterministic from a seed: the same ``(scale, seed, revised)`` always gives the same bytes, so a second
refresh of the same folders is an unchanged one. ``revised=True`` changes about 5 % of the values (and,
for WHO GHO, their ``Date``), as a producer's revision would; everything else stays byte-identical.

At ``scale`` 1: WHO GHO 40 indicators x 194 countries x 25 years x 3 sexes (582,000 rows, OData pages of
10,000 rows linked by ``@odata.nextLink`` as the API does), World Bank WDI every configured indicator for
every country and 65 years (pages of ``page_size``), UNAIDS one yearly Estimates ZIP of 500,000 rows (our
indicators and the many others the real file holds). The number of GHO indicators, of WDI years and of
UNAIDS rows scale with ``scale``.
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pycountry

GHO_COUNTRIES = sorted(country.alpha_3 for country in pycountry.countries)[:194]
WB_COUNTRIES = sorted((country.alpha_3, country.alpha_2, country.name) for country in pycountry.countries)
GHO_YEARS = range(2000, 2025)
GHO_SEXES = ("SEX_BTSX", "SEX_MLE", "SEX_FMLE")
GHO_PAGE_ROWS = 10_000
GHO_INDICATORS = 40
WB_YEARS = 65
UNAIDS_ROWS = 500_000
UNAIDS_FILE = "Estimates_2025_en.zip"
GHO_DATE = "2025-03-01T10:00:00+01:00"
GHO_REVISED_DATE = "2025-09-01T10:00:00+02:00"
UNAIDS_OURS = (
    ("People living with HIV", "Number"),
    ("Coverage of people living with HIV receiving ART", "Percent"),
    ("People living with HIV who have suppressed viral loads", "Percent"),
)
UNAIDS_SUBGROUPS = (
    "All ages estimate",
    "Females Adults (15+) estimate",
    "Males Adults (15+) estimate",
    "Children (0-14) estimate",
    "All ages lower estimate",
    "All ages upper estimate",
)


def _value(rng_seed: int, *key: object) -> float:
    """A deterministic value for ``key`` (no shared RNG state, so pages can be written in any order)."""
    return round(random.Random(f"{rng_seed}:{key}").uniform(1, 100), 2)


def _revised(revised: bool, index: int) -> bool:
    """Whether row ``index`` is one of the ~5 % a revision changes."""
    return revised and index % 20 == 7


def gho_codes(configured: list[str], scale: float) -> list[str]:
    """The indicators served: the configured ones, then ``BENCH_GHO_NN`` up to 40 x ``scale``."""
    wanted = max(1, round(GHO_INDICATORS * scale))
    codes = configured[:wanted]
    return codes + [f"BENCH_GHO_{n:02d}" for n in range(1, wanted - len(codes) + 1)]


def _gho_rows(code: str, seed: int, revised: bool) -> Iterator[dict[str, Any]]:
    index = 0
    for country in GHO_COUNTRIES:
        for year in GHO_YEARS:
            for sex in GHO_SEXES:
                value = _value(seed, code, country, year, sex)
                changed = _revised(revised, index)
                if changed:
                    value = round(value * 1.1 + 1, 2)
                yield {
                    "Id": index + 1,
                    "IndicatorCode": code,
                    "SpatialDimType": "COUNTRY",
                    "SpatialDim": country,
                    "ParentLocationCode": "AFR",
                    "ParentLocation": "Africa",
                    "TimeDimType": "YEAR",
                    "TimeDim": year,
                    "Dim1Type": "SEX",
                    "Dim1": sex,
                    "Dim2Type": None,
                    "Dim2": None,
                    "Dim3Type": None,
                    "Dim3": None,
                    "DataSourceDimType": None,
                    "DataSourceDim": None,
                    "Value": f"{value}",
                    "NumericValue": value,
                    "Low": None,
                    "High": None,
                    "Comments": None,
                    "Date": GHO_REVISED_DATE if changed else GHO_DATE,
                    "TimeDimensionValue": str(year),
                    "TimeDimensionBegin": f"{year}-01-01T00:00:00+01:00",
                    "TimeDimensionEnd": f"{year}-12-31T00:00:00+01:00",
                }
                index += 1


def write_gho(folder: Path, codes: list[str], seed: int, revised: bool) -> int:
    """OData pages per indicator under ``folder``; returns the number of rows."""
    folder.mkdir(parents=True, exist_ok=True)
    routes: list[dict[str, Any]] = []
    total = 0
    for code in codes:
        rows = list(_gho_rows(code, seed, revised))
        total += len(rows)
        for start in range(0, len(rows), GHO_PAGE_ROWS):
            document: dict[str, Any] = {
                "@odata.context": f"https://ghoapi.azureedge.net/api/$metadata#{code}",
                "value": rows[start : start + GHO_PAGE_ROWS],
            }
            following = start + GHO_PAGE_ROWS
            if following < len(rows):
                document["@odata.nextLink"] = f"https://ghoapi.azureedge.net/api/{code}?$skip={following}"
            name = f"{code}_{start}.json"
            (folder / name).write_text(json.dumps(document), encoding="utf-8")
            routes.append(
                {
                    "path": f"/api/{code}",
                    "query": {"$skip": str(start)} if start else {},
                    "file": name,
                    "content_type": "application/json; charset=utf-8",
                }
            )
    (folder / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    return total


def write_worldbank(
    folder: Path, codes: list[str], page_size: int, scale: float, seed: int, revised: bool
) -> int:
    """WDI API pages (``[metadata, rows]``) for every country; returns the number of rows."""
    folder.mkdir(parents=True, exist_ok=True)
    years = range(2025 - max(1, round(WB_YEARS * scale)), 2025)
    routes: list[dict[str, Any]] = []
    total = 0
    for code in codes:
        rows: list[dict[str, Any]] = []
        for iso3, iso2, name in WB_COUNTRIES:
            for year in reversed(years):
                value = _value(seed, code, iso3, year)
                if _revised(revised, len(rows)):
                    value = round(value * 1.1 + 1, 2)
                rows.append(
                    {
                        "indicator": {"id": code, "value": code},
                        "country": {"id": iso2, "value": name},
                        "countryiso3code": iso3,
                        "date": str(year),
                        "value": value,
                        "unit": "",
                        "obs_status": "",
                        "decimal": 1,
                    }
                )
        total += len(rows)
        pages = max(1, -(-len(rows) // page_size))
        for page in range(1, pages + 1):
            metadata = {
                "page": page,
                "pages": pages,
                "per_page": page_size,
                "total": len(rows),
                "sourceid": "2",
                "lastupdated": "2025-07-01",
            }
            name = f"{code}_{page}.json"
            chunk = rows[(page - 1) * page_size : page * page_size]
            (folder / name).write_text(json.dumps([metadata, chunk]), encoding="utf-8")
            routes.append(
                {
                    "path": f"/v2/country/all/indicator/{code}",
                    "query": {"page": str(page)},
                    "file": name,
                    "content_type": "application/json;charset=utf-8",
                }
            )
    (folder / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    return total


def write_unaids(folder: Path, documents_path: str, scale: float, seed: int, revised: bool) -> int:
    """One yearly Estimates ZIP of ``UNAIDS_ROWS x scale`` rows; returns the number of rows."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = max(1, round(UNAIDS_ROWS * scale))
    names = [(name, unit) for name, unit in UNAIDS_OURS]
    names += [(f"Other estimate {n:03d}", "Number") for n in range(1, 200)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "Indicator",
            "Unit",
            "Subgroup",
            "Area",
            "Area ID",
            "Time Period",
            "Source",
            "Data value",
            "Formatted",
            "Footnote",
        ]
    )
    written = 0
    with (
        zipfile.ZipFile(folder / UNAIDS_FILE, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(UNAIDS_FILE.replace(".zip", ".csv"), "w", force_zip64=True) as member,
    ):
        done = False
        for indicator, unit in names:
            for subgroup in UNAIDS_SUBGROUPS:
                for iso3, _iso2, country in WB_COUNTRIES[:194]:
                    for year in range(2000, 2025):
                        value = _value(seed, indicator, subgroup, iso3, year)
                        if unit == "Number":
                            value = round(value * 1000)
                        if _revised(revised, written):
                            value = value + 1
                        writer.writerow(
                            [
                                indicator,
                                unit,
                                subgroup,
                                country,
                                iso3,
                                year,
                                "UNAIDS_Estimates_",
                                value,
                                value,
                                "",
                            ]
                        )
                        written += 1
                        if written >= wanted:
                            done = True
                            break
                    if done:
                        break
                    member.write(buffer.getvalue().encode())
                    buffer.seek(0)
                    buffer.truncate()
                if done:
                    break
            if done:
                break
        member.write(buffer.getvalue().encode())
    (folder / "routes.json").write_text(
        json.dumps(
            [
                {
                    "path": f"/{documents_path}/{UNAIDS_FILE}",
                    "query": {},
                    "file": UNAIDS_FILE,
                    "content_type": "application/zip",
                }
            ]
        ),
        encoding="utf-8",
    )
    return written
