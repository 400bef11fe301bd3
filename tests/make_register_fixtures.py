# ruff: noqa: E501 - rows of the ministries' tables, kept one per line so they read like the sheets
"""Write the small register workbooks under tests/fixtures/dz_miph_nomenclature and tn_dpm_amm.

Run once (``python -m tests.make_register_fixtures``); the files are committed. Each reproduces, on a few
rows, a quirk of the real files described in ../shared/fixtures/PROVENANCE.md (« Round 3 »): banners and
a title above a header found at different rows, trailing spaces in sheet names and cells, TYPE and
STATUT shifted in « retraits », Excel dates and text dates, a blank numbered row, a renewal suffix on a
registration number, a copy without title, and the Tunisian list in legacy Excel 97 with no version stamp.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DZ = FIXTURES / "dz_miph_nomenclature"
TN = FIXTURES / "tn_dpm_amm"

MAIN_2018 = ["N°", "N°ENREGISTREMENT", "CODE", "DENOMINATION COMMUNE INTERNATIONALE", "NOM DE MARQUE", "FORME",
             "DOSAGE", "COND", "LISTE", "P1", "P2", "OBS", "LABORATOIRES DETENTEUR DE LA DECISION D'ENREGISTREMENT",
             "PAYS DU LABORATOIRE DETENTEUR DE LA DECISION D'ENREGISTREMENT", "DATE D'ENREGISTREMENT INITIAL ",
             "DATE D'ENREGISTREMENT  FINAL ", "TYPE", "STATUT", "DUREE DE STABILITE",
             "PRIX PORTE SUR LA DECISION D'ENREGISTREMENT", "REMBOURSEMENT", "RESERVE"]  # fmt: skip
MAIN = MAIN_2018[:19]
NOT_RENEWED = MAIN_2018[:18]
WITHDRAWN = ["N°", "N°ENREGISTREMENT", "CODE", "DENOMINATION COMMUNE INTERNATIONALE", "NOM DE MARQUE", "FORME",
             "DOSAGE", "COND", "LISTE", "P1", "P2", "LABORATOIRES DETENTEUR DE LA DECISION D'ENREGISTREMENT",
             "PAYS DU LABORATOIRE DETENTEUR DE LA DECISION D'ENREGISTREMENT", "DATE D'ENREGISTREMENT INITIAL ",
             "TYPE", "STATUT", "DATE DE RETRAIT", "MOTIF DE RETRAIT"]  # fmt: skip

MERCK = ["MERCK SHARP & DOHME LIMITED", "ROYAUME UNI"]
HETERO = ["HETERO LABS LIMITED", "INDE"]
STOCRIN = ["024/ 13 P 287 /06", "13 P 287", "EFAVIRENZ", "STOCRIN", "COMP. PELL. ", "600MG", "B/1FL./30",
           "Liste I", "HOP", ""]  # fmt: skip
TENOF_EM = ["524/13 P 481/17", "13 P 481", "EMTRICITABINE /TENOFOVIR DISPROXIL FUMARATE", "TENOF EM",
            "COMPRIME PELLICULE ", "200 MG/300MG", "FL  DE 30", "LISTE I ", "HOP", ""]  # fmt: skip
CETIRIZINE = ["352/ 01 A 003 /06/13", "01 A 003", "CETIRIZINE DICHLORHYDRATE", "ARTIZ", "COMP. PELLI.", "10MG",
              "B/10", "Liste II", "HOP", "OFF"]  # fmt: skip
RISPERIDONE = ["095/ 16 D 089 /04", "16 D 089", "RISPERIDONE", "RISPERDAL", "COMP PELLI. SEC.", "1MG", "B/60",
               "Liste I", "HOP", "OFF"]  # fmt: skip
BANNER = [
    "REPUBLIQUE ALGERIENNE DEMOCRATIQUE ET POPULAIRE  ",
    "MINISTERE DE LA SANTE DE LA POPULATION ET DE LA REFORME HOSPITALIERE",
    "DIRECTION GENERALE DE LA PHARMACIE ET DES EQUIPEMENTS DE SANTE",
]


def _sheet(
    workbook: Any, name: str, above: list[list[Any]], header: list[str], rows: list[list[Any]]
) -> None:
    sheet = workbook.create_sheet(name)
    for row in [*above, header, *rows]:
        sheet.append(row)


def _new() -> Any:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def _above(title: str | None, header_row: int, banner: list[str] = BANNER) -> list[list[Any]]:
    """Rows above a header at ``header_row`` (1-based): banner, blank lines, the title."""
    rows: list[list[Any]] = [[line] for line in banner]
    if title is not None:
        rows.append([])
        rows.append([title])
    while len(rows) < header_row - 1:
        rows.append([])
    return rows


def dz_2018() -> None:
    workbook = _new()
    title = ("NOMENCLATURE NATIONALE DES PRODUITS PHARMACEUTIQUES A USAGE DE LA MEDECINE HUMAINE AU 01 JUILLET "
             "2018  (AU JUILLET DE 3 )")  # fmt: skip
    _sheet(workbook, "nomenclature JUILLET 2018", _above(title, 8), MAIN_2018, [
        [1, *STOCRIN, "", *MERCK, datetime(2006, 7, 23), datetime(2006, 7, 23), "Ré", "I", "36 MOIS", "FOB 5,84 $",
         "OUI ", ""],
        [2, *TENOF_EM, "", *HETERO, datetime(2017, 3, 20), datetime(2017, 3, 20), "Gé", "I", "36 MOIS", "", "oui", ""],
        [3, *CETIRIZINE, "", "EL KENDI INDUSTRIE DU MEDICAMENT SPA", "ALGERIE", datetime(2006, 7, 31),
         datetime(2013, 8, 7), "GE", "F", "24 MOIS", "PCSU 975,38 DA", "NON", "27 A (a corriger ) "],
    ])  # fmt: skip
    retraits = ("LISTE DES PRODUITS PHARMACEUTIQUES A USAGE DE LA MEDECINE HUMAINE FAISANT L'OBJET DE RETRAIT AU 01 "
                "JUILLET 2018 ( AU JUILLET DE 3 )")  # fmt: skip
    _sheet(workbook, "retraits jusqu'au JUILLET2018", _above(retraits, 8), WITHDRAWN, [
        [1, *RISPERIDONE[:-1], "OFF", "JANSSEN CILAG", "FRANCE", datetime(2004, 3, 6), "Ré", "I",
         datetime(2011, 5, 8), "RETRAIT PAR LE MSPRH POUR INTERDICTION D'IMPORTATION"],
        [2, "162/ 13 P 097 /98", "13 P 097", "ACICLOVIR", "ACICLOVIR", "COMP.", "200MG", "B/25", "Liste I", "HOP",
         "OFF", "CHINA MEHECO", "CHINE", datetime(1998, 11, 14), "Gé", "I", "RETRAIT LE 18/11/2016",
         "RETRAIT PAR LE DETENTEUR POUR MOTIF COMMERCIAL"],
        [3, "219/ 09 L 058 /99", "09 L 058", "CLOMIFENE (CITRATE)", "SEROPHENE", "COMP.", "50MG", "B/30", "Liste I",
         "HOP", "OFF", "SERONO-ARES INTERNATIONAL", "SUISSE", datetime(1999, 9, 18), "Gé", "I", "00-12-2005",
         "ABROGATION"],
    ])  # fmt: skip
    # No title with a count, header in row 3, trailing space in the sheet name.
    sheet = workbook.create_sheet("les mdts non renouveles ")
    sheet.append(["", "", "", "les medicaments qui n'ont pas fait l'objet de renouvellement "])
    sheet.append([])
    sheet.append(MAIN_2018[:21])
    sheet.append([1, "182/ 13 P 286 /09", "13 P 286", "EFAVIRENZ", "EFAVIR 200", "GLES.", "200MG", "B/90", "Liste I",
                  "HOP", "", "", "CIPLA LTD", "INDE", datetime(2009, 5, 11), datetime(2009, 5, 11), "Gé", "I", "",
                  "", "NON"])  # fmt: skip
    workbook.save(DZ / "NOMENCLATURE-01.07.2018.xlsx")


def dz_2019() -> None:
    workbook = _new()
    title = ("NOMENCLATURE NATIONALE DES PRODUITS PHARMACEUTIQUES A USAGE DE LA MEDECINE HUMAINE AU 31 DECEMBRE "
             "2019  ( 2 DE)")  # fmt: skip
    banner = ["", "", *BANNER]
    _sheet(workbook, "nomenclature décembre 2019", _above(title, 10, banner), [*MAIN, "", ""], [
        [1, *TENOF_EM, "", *HETERO, datetime(2017, 3, 20), datetime(2017, 3, 20), "Gé", "I", "36 MOIS"],
        [2, *CETIRIZINE, "", "EL KENDI INDUSTRIE DU MEDICAMENT SPA", "ALGERIE", datetime(2006, 7, 31),
         datetime(2013, 8, 7), "GE", "F", "24 MOIS"],
    ])  # fmt: skip
    retraits = ("LISTE DES PRODUITS PHARMACEUTIQUES A USAGE DE LA MEDECINE HUMAINE FAISANT L'OBJET DE RETRAIT AU 31 "
                "decembre 2019 ( DE 3)")  # fmt: skip
    _sheet(workbook, "retraits jusqu'à décembre 2019", _above(retraits, 11, banner), WITHDRAWN, [
        [1, *RISPERIDONE[:-1], "OFF", "JANSSEN CILAG", "FRANCE", datetime(2004, 3, 6), "Ré", "I",
         datetime(2011, 5, 8), "RETRAIT PAR LE MSPRH POUR INTERDICTION D'IMPORTATION"],
        [2],  # a numbered row the ministry left empty: counted against the title, not stored
        [3, "219/ 09 L 058 /99", "09 L 058", "CLOMIFENE (CITRATE)", "SEROPHENE", "COMP.", "50MG", "B/30", "Liste I",
         "HOP", "OFF", "SERONO-ARES INTERNATIONAL", "SUISSE", datetime(1999, 9, 18), "Gé", "I", "00-12-2005",
         "ABROGATION"],
    ])  # fmt: skip
    non = ("LISTE DES PRODUITS PHARMACEUTIQUES A USAGE DE LA MEDECINE HUMAINE QUI N'ONT PAS FAIT L'OBJET DE "
           "RENOUVELLEMENT  AU 31 DECEMBRE 2019 ( DE 1)")  # fmt: skip
    _sheet(workbook, "les mdts non renouvellés", _above(non, 11, banner), NOT_RENEWED, [
        [1, *STOCRIN, "", *MERCK, datetime(2006, 7, 23), datetime(2006, 7, 23), "Ré", "I"],
    ])  # fmt: skip
    workbook.save(DZ / "nomenclature-au-31-Dcembre-2019.xlsx")


def dz_2026() -> None:
    workbook = _new()
    banner = ["", "", "", "", "REPUBLIQUE ALGERIENNE DEMOCRATIQUE ET POPULAIRE",
              "                     MINISTERE DE L'INDUSTRIE PHARMACEUTIQUE ",
              "DIRECTION DE LA PHARMACO-ECONOMIE, DES ACTIVITES PHARMACEUTIQUES ET DE LA REGULATION", ""]  # fmt: skip
    header = [cell.replace("COND", "CONDITIONNEMENT") if cell == "COND" else cell for cell in MAIN]
    title = ("NOMENCLATURE NATIONALE DES PRODUITS PHARMACEUTIQUES A USAGE DE LA MEDECINE HUMAINE AU 28 FEVRIER "
             "2026  ( 2 DE )")  # fmt: skip
    renewed = ["524/13 P 481/17/23", *TENOF_EM[1:]]
    _sheet(workbook, "Nomenclature Février 2026", _above(title, 14, banner), [*header, "", "", ""], [
        [1, *renewed, "", *HETERO, datetime(2017, 3, 20), datetime(2023, 6, 1), "GE", "i", "36 MOIS"],
        [2, "352/01 A 003/06/22", "01 A 003", "CETIRIZINE DICHLORHYDRATE", "ARTIZ", "COMPRIME PELLICULE SECABLE",
         "10MG", "B/10", "LISTE II", "HOP", "OFF", "", "EL KENDI INDUSTRIE DU MEDICAMENT", "ALGERIE",
         datetime(2006, 7, 31), datetime(2025, 8, 10), "GE", "F", "60 MOIS"],
    ])  # fmt: skip
    non = ("LISTE DES PRODUITS PHARMACEUTIQUES A USAGE DE LA MEDECINE HUMAINE QUI N'ONT PAS FAIT L'OBJET DE "
           "RENOUVELLEMENT AU 28 FEVRIER 2026 ( 0 DE ) ")  # fmt: skip
    _sheet(workbook, "Non Renouvelés ", _above(non, 14, banner), header[:18], [])
    retraits = ("LISTE DES PRODUITS PHARMACEUTIQUES A USAGE DE LA MEDECINE HUMAINE FAISANT L'OBJET DE RETRAIT AU  28 "
                "FEVRIER 2026  ( 2 DE )")  # fmt: skip
    withdrawn_header = [
        cell.replace("COND", "CONDITIONNEMENT") if cell == "COND" else cell for cell in WITHDRAWN
    ]
    _sheet(workbook, "Retraits", _above(retraits, 14, banner), withdrawn_header, [
        [1, "024/13 P 287/06", "13 P 287", "EFAVIRENZ", "STOCRIN", "COMPRIME PELLICULE  ", "600MG", "B/1FL./30",
         "LISTE I", "HOP", "", *MERCK, datetime(2006, 7, 23), "RE", "I", datetime(2023, 11, 8),
         "RETRAIT A L'ECHELLE MONDIALE POUR MOTIF DE LA MISE A JOUR DES CONSENSUS THERAPEUTIQUES LOCAUX ET PAR "
         "L'INCLUSION DE NOUVELLES MOLECULES ANTIRETROVIRALES "],
        [2, *RISPERIDONE[:-1], "OFF", "JANSSEN CILAG", "FRANCE", datetime(2004, 3, 6), "RE", "I",
         datetime(2011, 5, 8), "RETRAIT PAR LE MSPRH POUR INTERDICTION D'IMPORTATION"],
    ])  # fmt: skip
    workbook.save(DZ / "NOMENCLATURE-VERSION-FEVRIER-2026-.xlsx")


def dz_copy_without_title() -> None:
    """A re-saved copy: no banner, no title; the sheet name's month dates it (its last day)."""
    workbook = _new()
    _sheet(workbook, "nomenclature mars 2021", [], MAIN, [
        [1, *TENOF_EM, "", *HETERO, datetime(2017, 3, 20), datetime(2017, 3, 20), "Gé", "I", "36 MOIS"],
    ])  # fmt: skip
    workbook.save(DZ / "copie-sans-titre.xlsx")


def dz_bad() -> None:
    """A title declaring 5 entries over 2 numbered rows; and a workbook with no register header."""
    workbook = _new()
    title = "NOMENCLATURE NATIONALE ... AU 31 MARS 2024 ( 5 DE )"
    _sheet(workbook, "nomenclature mars 2024", _above(title, 8), MAIN, [
        [1, *TENOF_EM, "", *HETERO, datetime(2017, 3, 20), datetime(2017, 3, 20), "GE", "I", "36 MOIS"],
        [2, *CETIRIZINE, "", "EL KENDI", "ALGERIE", datetime(2006, 7, 31), datetime(2013, 8, 7), "GE", "F", ""],
    ])  # fmt: skip
    workbook.save(DZ / "bad_declared_count.xlsx")
    workbook = _new()
    _sheet(workbook, "Feuil1", [["rien"]], ["A", "B"], [[1, 2]])
    workbook.save(DZ / "bad_no_header.xlsx")


TN_HEADER = ["Nom", "Dosage", "Forme", "Présentation", "DCI", "Classe", "Sous Classe", "Laboratoire", "AMM",
             "Date AMM", "Conditionnement primaire", "Spécifocation Conditionnement primaire", "tableau",
             "Durée de conservation", "Indications", "G/P/B", "VEIC"]  # fmt: skip
TN_STOCRIN = ["STOCRIN", "600 mg", "Comprimé pelliculé", "B/1FL/30", "EFAVIRENZ",
              "ANTIINFECTIEUX GENERAUX A USAGE SYSTEMIQUE", "ANTIVIRAUX (USAGE SYSTEMIQUE)", "MERCK SHARP & DOHME BV",
              "7013111H", date(2020, 5, 18), "Flacon", "en PEHD", "A", 36.0, "- Infection par le VIH-1;\r- adultes",
              "Princeps", "Essentiel"]  # fmt: skip
TN_RAXIDONE = ["RAXIDONE", "2 mg", "Comprimé pelliculé sécable", "B/30", "RISPERIDONE", "SYSTEME NERVEUX",
               "PSYCHOLEPTIQUES", "SAIPH", "9163532", date(2010, 10, 25), "Blister",
               "en pvc-pvdc/transparent/aluminium", "A", 36.0, "", "Générique", "Essentiel"]  # fmt: skip
TN_FLUOROURACIL = ["5-FLUOROURACIL", "250 MG", "Solution injectable", "B/5/5ML", "FLUOROURACILE",
                   "ANTINEOPLASIQUES ET IMMUNOMODULATEURS", "ANTINEOPLASIQUES", "EBEWE Pharma", "6943091H",
                   date(2001, 1, 20), "Ampoule", "en verre", "A", 24.0, "", "Générique", "Vital"]  # fmt: skip
TN_GLARGEN = ["GLARGEN", "100 UI/ml", "Solution injectable", "B/1 flacon de 10 ml", "INSULINE GLARGINE",
              "APPAREIL DIGESTIF ET METABOLISME", "MEDICAMENT UTILISE DANS LE TRAITEMENT DU DIABETE",
              "LES LABORATOIRES MEDIS", "9234042", date(2021, 6, 28), "Flacon", "en verre  incolore de type 1", "C",
              24.0, "", "Biosimilaire", "Vital"]  # fmt: skip


def _xls(path: Path, rows: list[list[Any]]) -> None:
    import xlwt

    workbook = xlwt.Workbook(encoding="cp1252")
    sheet = workbook.add_sheet("liste_amm")
    dates = xlwt.easyxf(num_format_str="m/d/yy")
    for r, row in enumerate([TN_HEADER, *rows]):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write(r, c, datetime(value.year, value.month, value.day), dates)
            else:
                sheet.write(r, c, value)
    workbook.save(str(path))


def tn() -> None:
    _xls(TN / "liste_amm_2020.xls", [TN_FLUOROURACIL, TN_STOCRIN, TN_RAXIDONE])
    # A later version: STOCRIN is gone, GLARGEN is new (its AMM dates the version).
    _xls(TN / "liste_amm_2021.xls", [TN_FLUOROURACIL, TN_RAXIDONE, TN_GLARGEN])
    (TN / "bad_not_a_workbook.xls").write_bytes(b"<html><body>Maintenance</body></html>")


if __name__ == "__main__":
    DZ.mkdir(parents=True, exist_ok=True)
    TN.mkdir(parents=True, exist_ok=True)
    dz_2018()
    dz_2019()
    dz_2026()
    dz_copy_without_title()
    dz_bad()
    tn()
