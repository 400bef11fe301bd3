"""posology.yml and ddd.csv: validated, and the DDD extract equal to the WHOCC index it was cut from."""

from __future__ import annotations

import csv

from cobase.catalogue import load_catalogue
from cobase.catalogue.posology import load_ddd, load_posology, oral_ddd
from tests.helpers import real_recording


def test_every_posology_names_a_catalogue_item() -> None:
    assert set(load_posology()) <= set(load_catalogue().items)


def test_metformin_posology_is_two_1000_mg_tablets() -> None:
    posology = load_posology()["metformin"]
    assert (posology.strength, posology.strength_unit, posology.units_per_day) == (1000, "mg", 2)


def test_risperidone_posology_is_one_2_mg_tablet() -> None:
    posology = load_posology()["risperidone"]
    assert (posology.strength, posology.units_per_day, posology.form) == (2, 1, "COMPRIME")


def test_oral_ddd_of_metformin_is_2_g() -> None:
    dose = oral_ddd("metformin")
    assert dose is not None and (dose.amount, dose.unit, dose.milligrams) == (2.0, "g", 2000.0)


def test_depot_ddd_is_not_the_oral_one() -> None:
    assert load_ddd()[("N05AX08", "P")].amount == 2.7 and load_ddd()[("N05AX08", "O")].amount == 5.0


def test_ddd_extract_equals_the_whocc_index() -> None:
    path = real_recording("who_eml", "WHO_ATC-DDD_2026-04-25.csv")
    index = {
        (row["atc_code"], row["adm_r"], row["ddd"], row["uom"])
        for row in csv.DictReader(path.read_text(encoding="utf-8").splitlines())
    }
    extract = {(d.atc_code, d.route, f"{d.amount:g}", d.unit) for d in load_ddd().values()}
    assert extract and extract <= index
