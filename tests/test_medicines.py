"""Medicine names as physicians, pharmacies and OFII opinions write them -> catalogue items.

The refusal table matters as much as the match table: a name the catalogue does not know must raise
with candidates, never become a neighbouring medicine.
"""

from __future__ import annotations

import pytest

from cobase.catalogue import load_catalogue
from cobase.harmonize.medicines import (
    SCORE_CUTOFF,
    MedicineMatch,
    UnknownMedicineError,
    resolve_item,
    resolve_medicine,
)

REAL_WORLD_SPELLINGS = [
    # HIV: INN with salts, French accents, brands, abbreviations and combination spellings
    ("ténofovir disoproxil fumarate", "tenofovir_disoproxil"),
    ("Tenofovir Disoproxil Fumarate 300 mg", "tenofovir_disoproxil"),
    ("fumarate de ténofovir disoproxil", "tenofovir_disoproxil"),
    ("TDF", "tenofovir_disoproxil"),
    ("Viread 245 mg cp", "tenofovir_disoproxil"),
    ("tenofovir alafenamide", "tenofovir_alafenamide"),
    ("ténofovir alafénamide 25 mg", "tenofovir_alafenamide"),
    ("Vemlidy", "tenofovir_alafenamide"),
    ("TDF/3TC/DTG", "tdf_3tc_dtg"),
    ("TDF-3TC-DTG", "tdf_3tc_dtg"),
    ("TDF + 3TC + DTG", "tdf_3tc_dtg"),
    ("3TC/TDF/DTG", "tdf_3tc_dtg"),
    ("ténofovir/lamivudine/dolutégravir", "tdf_3tc_dtg"),
    ("dolutégravir + lamivudine + ténofovir disoproxil", "tdf_3tc_dtg"),
    ("TLD", "tdf_3tc_dtg"),
    ("TLD 300/300/50 mg", "tdf_3tc_dtg"),
    ("dolutégravir 50 mg", "dolutegravir"),
    ("Tivicay 50mg", "dolutegravir"),
    ("dolutegravire", "dolutegravir"),
    ("lamivudine", "lamivudine"),
    ("3TC 150 mg", "lamivudine"),
    ("TLE", "tdf_3tc_efv"),
    ("efavirenz + lamivudine + ténofovir", "tdf_3tc_efv"),
    ("Stocrin 600 mg", "efavirenz"),
    ("Truvada", "tdf_ftc"),
    ("emtricitabine/ténofovir disoproxil", "tdf_ftc"),
    ("Descovy", "taf_ftc"),
    ("zidovudine + lamivudine", "azt_3tc"),
    ("AZT/3TC", "azt_3tc"),
    ("Kaletra 200/50 mg", "lpv_r"),
    ("LPV/r", "lpv_r"),
    ("atazanavir/ritonavir 300/100", "atv_r"),
    ("darunavir + ritonavir", "drv_r"),
    ("Bactrim Forte", "cotrimoxazole"),
    ("cotrimoxazole 960 mg", "cotrimoxazole"),
    ("co-trimoxazol", "cotrimoxazole"),
    # hepatitis
    ("Baraclude 0,5 mg", "entecavir"),
    ("entécavir", "entecavir"),
    ("Epclusa", "sofosbuvir_velpatasvir"),
    ("sofosbuvir/velpatasvir", "sofosbuvir_velpatasvir"),
    ("velpatasvir + sofosbuvir", "sofosbuvir_velpatasvir"),
    ("Sovaldi 400 mg", "sofosbuvir"),
    # tuberculosis
    ("RHZE", "rhze"),
    ("rifampicine + isoniazide + pyrazinamide + éthambutol", "rhze"),
    ("Rifinah", "rh"),
    ("rifampicine/isoniazide", "rh"),
    ("Rimifon 300", "isoniazid"),
    ("Sirturo 100 mg", "bedaquiline"),
    # diabetes
    ("Glucophage", "metformin"),
    ("Glucophage 850 mg", "metformin"),
    ("metformine", "metformin"),
    ("chlorhydrate de metformine 1000 mg", "metformin"),
    ("metfromin", "metformin"),
    ("Diamicron 30 mg LP", "gliclazide"),
    ("insuline glargine", "insulin_glargine"),
    ("insuline glargin", "insulin_glargine"),
    ("Lantus", "insulin_glargine"),
    ("Lantus SoloStar 100 UI/ml stylo prérempli", "insulin_glargine"),
    ("Insulatard", "insulin_nph"),
    ("insuline NPH", "insulin_nph"),
    ("Actrapid", "insulin_human_regular"),
    ("insuline rapide", "insulin_human_regular"),
    # hypertension
    ("Amlor 5 mg", "amlodipine"),
    ("amlodipine bésilate 10 mg", "amlodipine"),
    ("amlodipin", "amlodipine"),
    ("énalapril maléate 20 mg", "enalapril"),
    ("losartan potassique 50 mg", "losartan"),
    ("Esidrex", "hydrochlorothiazide"),
    # kidney
    ("Eprex", "epoetin"),
    ("érythropoïétine", "epoetin"),
    ("sévélamer carbonate 800 mg", "sevelamer"),
    # psychiatry and neurology
    ("Haldol décanoas", "haloperidol_decanoate"),
    ("Haldol", "haloperidol"),
    ("halopéridol 5 mg", "haloperidol"),
    ("rispéridone", "risperidone"),
    ("Risperdal 2 mg", "risperidone"),
    ("Zyprexa 10mg", "olanzapine"),
    ("olanzapin", "olanzapine"),
    ("Leponex", "clozapine"),
    ("Modecate", "fluphenazine_decanoate"),
    ("Téralithe 250 mg", "lithium_carbonate"),
    ("Lithium", "lithium_carbonate"),
    ("Dépakine Chrono 500 mg", "valproate"),
    ("valproate de sodium", "valproate"),
    ("acide valproïque", "valproate"),
    ("Tégrétol LP 200", "carbamazepine"),
    ("Prozac 20 mg", "fluoxetine"),
    ("Zoloft", "sertraline"),
    ("setraline", "sertraline"),
    ("Laroxyl", "amitriptyline"),
    ("Gardénal 100 mg", "phenobarbital"),
    ("Di-Hydan", "phenytoin"),
    ("Keppra 500", "levetiracetam"),
    ("lévétiracétam", "levetiracetam"),
    ("Lamictal", "lamotrigine"),
    # sickle cell, cancer
    ("Hydrea 500 mg", "hydroxycarbamide"),
    ("Siklos", "hydroxycarbamide"),
    ("hydroxyurée", "hydroxycarbamide"),
    ("Speciafoldine 5 mg", "folic_acid"),
    ("acide folique", "folic_acid"),
    ("Oracilline", "phenoxymethylpenicillin"),
    ("pénicilline V", "phenoxymethylpenicillin"),
    ("tamoxifène 20 mg", "tamoxifen"),
    ("Femara", "letrozole"),
    ("Herceptin", "trastuzumab"),
    ("Taxotere", "docetaxel"),
    ("Glivec 400 mg", "imatinib"),
    ("imatinib mésylate", "imatinib"),
    ("Tasigna", "nilotinib"),
    ("Sprycel", "dasatinib"),
]

# Names the catalogue must refuse: unknown medicines, look-alikes of catalogue medicines, ambiguous
# fragments, and lists of medicines that form no catalogue combination.
MUST_NOT_MATCH = [
    "insuline",
    "insuline humaine",
    "tenofovir",
    "ténofovir 300 mg",
    "paracetamol",
    "Doliprane 1000",
    "aspirin 100",
    "aspirine",
    "xyz",
    "",
    "   ",
    "50 mg",
    "sertindole",
    "ofloxacine",
    "raltegravir",
    "cabotégravir",
    "gemcitabine",
    "pentobarbital",
    "oxcarbazépine",
    "duloxétine",
    "escitalopram",
    "félodipine",
    "valsartan",
    "darbépoétine alfa",
    "TDF/3TC",
    "Truvada + DTG",
    "imatinbi",
    "psychiatre",
    "charge virale",
]

TAF_SPELLINGS = [
    "TAF",
    "tenofovir alafenamide",
    "ténofovir alafénamide fumarate",
    "Tenofovir Alafenamide 25mg",
    "Vemlidy 25 mg",
]

ITEM_SPELLINGS = [
    ("charge virale", "viral_load_hiv"),
    ("charge virale VIH", "viral_load_hiv"),
    ("ARN VIH", "viral_load_hiv"),
    ("CD4", "cd4_count"),
    ("taux de CD4", "cd4_count"),
    ("ADN VHB", "hbv_dna"),
    ("charge virale VHB", "hbv_dna"),
    ("ARN du VHC", "hcv_rna"),
    ("hémoglobine glyquée", "hba1c"),
    ("HbA1c", "hba1c"),
    ("glycémie", "blood_glucose"),
    ("créatininémie", "creatinine"),
    ("DFG", "creatinine"),
    ("INR", "inr"),
    ("EEG", "eeg"),
    ("électroencéphalogramme", "eeg"),
    ("radiographie thoracique", "chest_xray"),
    ("GeneXpert", "genexpert"),
    ("Xpert MTB/RIF", "genexpert"),
    ("PCR BCR-ABL", "bcr_abl_pcr"),
    ("lithiémie", "lithium_level"),
    ("mammographie", "mammography"),
    ("électrophorèse de l'hémoglobine", "hb_electrophoresis"),
    ("dialyse", "haemodialysis"),
    ("séances d'hémodialyse", "haemodialysis"),
    ("radiothérapie", "radiotherapy"),
    ("lecteur de glycémie", "glucose_meter"),
    ("transfusion", "transfusion"),
    ("psychiatre", "psychiatrist"),
    ("psychologue", "psychologist"),
    ("psychothérapie", "psychologist"),
    ("néphrologue", "nephrologist"),
    ("infectiologue", "infectiologist"),
    ("hépatologue", "hepatologist"),
    ("pneumologue", "pulmonologist"),
    ("diabétologue", "endocrinologist"),
    ("neurologue", "neurologist"),
    ("hématologue", "haematologist"),
    ("oncologue", "oncologist"),
    ("radiothérapeute", "radiotherapist"),
    ("Lantus", "insulin_glargine"),
]


@pytest.mark.parametrize(("text", "item_id"), REAL_WORLD_SPELLINGS)
def test_real_world_spelling_resolves(text: str, item_id: str) -> None:
    assert resolve_medicine(text).item.id == item_id


@pytest.mark.parametrize("text", MUST_NOT_MATCH)
def test_name_outside_catalogue_raises(text: str) -> None:
    with pytest.raises(UnknownMedicineError):
        resolve_medicine(text)


@pytest.mark.parametrize("text", TAF_SPELLINGS)
def test_taf_never_becomes_tdf(text: str) -> None:
    assert resolve_medicine(text).item.id == "tenofovir_alafenamide"


@pytest.mark.parametrize(("text", "item_id"), ITEM_SPELLINGS)
def test_item_spelling_resolves(text: str, item_id: str) -> None:
    assert resolve_item(text).item.id == item_id


def test_every_catalogue_name_resolves_to_its_own_item() -> None:
    """The invariant over every item: each name it declares leads back to it."""
    wrong = [
        (item.id, name, resolve_item(name).item.id)
        for item in load_catalogue().items.values()
        for name in item.names()
        if resolve_item(name).item.id != item.id
    ]
    assert wrong == []


def test_mono_substance_is_not_read_as_combination() -> None:
    assert resolve_medicine("lamivudine 150 mg").item.id == "lamivudine"


def test_exact_match_scores_100() -> None:
    assert resolve_medicine("Tivicay").score == 100.0


def test_typo_scores_between_cutoff_and_100() -> None:
    assert SCORE_CUTOFF <= resolve_medicine("dolutegravire").score < 100.0


def test_match_reports_the_catalogue_name_it_matched() -> None:
    assert resolve_medicine("glucophage 850").matched == "Glucophage"


def test_combination_reports_its_parts() -> None:
    match = resolve_medicine("ténofovir/lamivudine/dolutégravir")
    assert match.matched == "ténofovir + Lamivudine + Dolutégravir"


def test_match_is_a_frozen_dataclass() -> None:
    match = resolve_medicine("TLD")
    assert isinstance(match, MedicineMatch) and hash(match)


def test_unknown_medicine_is_a_value_error_carrying_the_query() -> None:
    with pytest.raises(ValueError) as raised:
        resolve_medicine("paracetamol 1 g")
    assert isinstance(raised.value, UnknownMedicineError) and raised.value.query == "paracetamol 1 g"


def test_insulin_alone_lists_the_insulins() -> None:
    with pytest.raises(UnknownMedicineError) as raised:
        resolve_medicine("insuline")
    insulins = {
        item.id for item in load_catalogue().items_of_kind("medicine") if item.id.startswith("insulin_")
    }
    assert {item.id for item in raised.value.candidates} == insulins and len(insulins) == 8
    assert "ambiguous" in str(raised.value)


def test_tenofovir_alone_lists_both_esters_first() -> None:
    with pytest.raises(UnknownMedicineError) as raised:
        resolve_medicine("ténofovir")
    assert {item.id for item in raised.value.candidates[:2]} == {
        "tenofovir_disoproxil",
        "tenofovir_alafenamide",
    }


def test_unknown_medicine_message_lists_closest_french_names() -> None:
    with pytest.raises(UnknownMedicineError, match=r"closest: Dolutégravir \[dolutegravir\]"):
        resolve_medicine("raltegravir")


def test_look_alike_is_offered_not_matched() -> None:
    with pytest.raises(UnknownMedicineError) as raised:
        resolve_medicine("sertindole")
    assert raised.value.candidates[0].id == "sertraline"


def test_message_lists_at_most_five_candidates() -> None:
    with pytest.raises(UnknownMedicineError) as raised:
        resolve_medicine("tenofovir")
    assert len(raised.value.candidates) > 5 and str(raised.value).count("[") == 5


def test_partial_combination_offers_the_combinations_containing_it() -> None:
    with pytest.raises(UnknownMedicineError, match="no fixed-dose combination") as raised:
        resolve_medicine("TDF/3TC")
    assert {"tdf_3tc_dtg", "tdf_3tc_efv"} <= {item.id for item in raised.value.candidates}


def test_nonsense_has_no_candidates() -> None:
    with pytest.raises(UnknownMedicineError, match="no close candidate"):
        resolve_medicine("xyz")


def test_medicine_resolver_ignores_other_kinds() -> None:
    with pytest.raises(UnknownMedicineError):
        resolve_medicine("hémoglobine glyquée")


def test_kinds_restrict_the_search() -> None:
    assert resolve_medicine("dialyse", kinds={"equipment"}).item.id == "haemodialysis"


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown item kind"):
        resolve_medicine("TLD", kinds={"drug"})


# --- formulations and brands (issue 8) --------------------------------------------------------------------

FORMULATIONS_AND_BRANDS = [
    ("Risperdal Consta", "risperidone_lai"),
    ("Risperdal Consta 37,5 mg", "risperidone_lai"),
    ("rispéridone injectable", "risperidone_lai"),
    ("rispéridone LP injectable", "risperidone_lai"),
    ("halopéridol décanoate", "haloperidol_decanoate"),
    ("décanoate d'halopéridol 50 mg/mL", "haloperidol_decanoate"),
    ("Haldol Decanoas", "haloperidol_decanoate"),
    ("fluphénazine décanoate", "fluphenazine_decanoate"),
    ("Xeplion", "paliperidone_palmitate"),
    ("palipéridone", "paliperidone_palmitate"),
    ("NovoRapid", "insulin_aspart"),
    ("insuline asparte", "insulin_aspart"),
    ("Humalog", "insulin_lispro"),
    ("Apidra", "insulin_glulisine"),
    ("Levemir", "insulin_detemir"),
    ("Tresiba", "insulin_degludec"),
    ("Lantus", "insulin_glargine"),
    ("Dovato", "dtg_3tc"),
    ("dolutégravir/lamivudine", "dtg_3tc"),
    ("Triumeq", "dtg_abc_3tc"),
    ("abacavir + dolutégravir + lamivudine", "dtg_abc_3tc"),
    ("Biktarvy", "bic_ftc_taf"),
    ("BIC/FTC/TAF", "bic_ftc_taf"),
]


@pytest.mark.parametrize(("text", "item_id"), FORMULATIONS_AND_BRANDS)
def test_formulation_or_brand_resolves_to_its_own_item(text: str, item_id: str) -> None:
    assert resolve_medicine(text).item.id == item_id


@pytest.mark.parametrize("text", ["Risperdal Consta", "halopéridol décanoate", "rispéridone injectable"])
def test_long_acting_injectable_is_never_the_oral_molecule(text: str) -> None:
    item = resolve_medicine(text).item
    assert item.long_acting_form_of is not None and item.id not in {"risperidone", "haloperidol"}


@pytest.mark.parametrize(
    ("text", "item_id"), [("rispéridone", "risperidone"), ("halopéridol injectable", "haloperidol")]
)
def test_molecule_without_depot_word_stays_the_oral_item(text: str, item_id: str) -> None:
    """Haloperidol has a short-acting injection of its own: "injectable" alone is not the depot."""
    assert resolve_medicine(text).item.id == item_id


def test_every_long_acting_item_differs_from_its_oral_twin_but_shares_its_atc() -> None:
    catalogue = load_catalogue()
    twins = [
        (item, catalogue.item(item.long_acting_form_of))
        for item in catalogue.items.values()
        if item.long_acting_form_of
    ]
    assert twins and all(item.id != oral.id and set(item.atc) == set(oral.atc) for item, oral in twins)


def test_candidates_are_ranked_only_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A parser that catches the error never pays for ranking the catalogue; the message still has them."""
    from cobase.harmonize import medicines

    calls: list[object] = []
    real_rank = medicines._rank
    monkeypatch.setattr(medicines, "_rank", lambda *args: calls.append(args) or real_rank(*args))
    with pytest.raises(UnknownMedicineError) as caught:
        resolve_medicine("zzqx totally unknown")
    assert calls == []
    assert "closest" in str(caught.value) or "no close candidate" in str(caught.value)
    assert len(calls) == 1
    caught.value.candidates  # noqa: B018 - read twice, ranked once
    assert len(calls) == 1
