"""How much of a medicine a month of treatment takes: the catalogue's usual adult posology, or else the
WHO defined daily dose (DDD).

Both are data beside this module: ``posology.yml`` (reviewed by physicians, one entry per item, with the
reason in ``note``) and ``ddd.csv`` (the WHOCC ATC/DDD index rows for the catalogue's ATC codes). The
monthly cost (:mod:`cobase.evidence.cost`) says which of the two it used, since a DDD is a unit of
measurement and not a recommended dose.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cobase.catalogue import CATALOGUE_DIR, CatalogueError, load_catalogue
from cobase.yamltext import load_yaml

POSOLOGY_FILE = "posology.yml"
DDD_FILE = "ddd.csv"
DDD_CITATION = (
    "WHO Collaborating Centre for Drug Statistics Methodology. ATC/DDD Index (export of 2026-04-25). "
    "Oslo: WHOCC. https://atcddd.fhi.no/atc_ddd_index/"
)
_MASS_IN_MG = {"mg": 1.0, "g": 1000.0, "mcg": 0.001}


class Posology(BaseModel):
    """The usual adult maintenance posology of one item."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strength: float = Field(gt=0)
    strength_unit: str
    units_per_day: float = Field(gt=0)
    form: str = Field(min_length=1)
    label_fr: str
    label_en: str
    note: str = Field(min_length=1)


@dataclass(frozen=True)
class DefinedDailyDose:
    """One row of the WHO ATC/DDD index."""

    atc_code: str
    name: str
    amount: float
    unit: str
    route: str  # O oral, P parenteral, ...

    @property
    def milligrams(self) -> float | None:
        """The DDD in mg, None when it is not a mass (units, mL)."""
        factor = _MASS_IN_MG.get(self.unit.lower())
        return None if factor is None else self.amount * factor


@lru_cache(maxsize=4)
def load_posology(directory: Path | None = None) -> dict[str, Posology]:
    """``posology.yml`` by item id; one :class:`CatalogueError` naming the entry and key on a defect."""
    folder = directory or CATALOGUE_DIR
    path = folder / POSOLOGY_FILE
    data = load_yaml(path.read_text(encoding="utf-8")) or {}
    items = load_catalogue(directory).items if directory else load_catalogue().items
    posologies: dict[str, Posology] = {}
    for item_id, entry in data.items():
        if item_id not in items:
            raise CatalogueError(f"{path}: {item_id!r} is no item of items.yml")
        try:
            posologies[item_id] = Posology.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise CatalogueError(f"{path}: {item_id}: {where}: {first['msg']}") from None
    return posologies


@lru_cache(maxsize=4)
def load_ddd(directory: Path | None = None) -> dict[tuple[str, str], DefinedDailyDose]:
    """``ddd.csv`` by (ATC code, route); comment lines (``#``) are skipped."""
    path = (directory or CATALOGUE_DIR) / DDD_FILE
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    doses: dict[tuple[str, str], DefinedDailyDose] = {}
    for row in csv.DictReader(lines):
        dose = DefinedDailyDose(
            atc_code=row["atc_code"],
            name=row["atc_name"],
            amount=float(row["ddd"]),
            unit=row["uom"],
            route=row["adm_r"],
        )
        doses.setdefault((dose.atc_code, dose.route), dose)
    return doses


def oral_ddd(item_id: str) -> DefinedDailyDose | None:
    """The oral DDD of a catalogue item (its first ATC code that has one), None when there is none."""
    item = load_catalogue().items.get(item_id)
    if item is None:
        return None
    doses = load_ddd()
    return next((doses[(code, "O")] for code in item.atc if (code, "O") in doses), None)
