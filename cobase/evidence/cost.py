"""What a month of a chosen medicine costs, in local currency, in US$ and in days of minimum wage.

The HAI/WHO method, with every input cited:

* **units per month** = units per day × 30 days. Units per day come from the catalogue's usual adult
  posology (``posology.yml``: metformin 1 g twice daily is two 1,000 mg tablets), or else from the WHO
  defined daily dose (``ddd.csv``: DDD ÷ the product's strength); ``basis`` says which;
* **unit price** = the pack's public price (CNOPS ``PPV``) ÷ units per pack (read from the presentation,
  ``1 BOITE 30 COMPRIME`` is 30), per product (EAN) of the item in the matching strength and form;
* **monthly cost** = unit price × units per month, in the list's currency; in **US$** at the World Bank
  official exchange rate (``PA.NUS.FCRF``) of the price's year; in **days of statutory minimum wage**
  (ILOSTAT ``EAR_INEE_NOC_NB_A`` of the same year): cost ÷ (monthly minimum wage ÷ 30);
* **reste à charge** (when the reimbursement rate is known) = monthly cost − rate × the reimbursement
  base (``PRIX_BR``) for the same units: CNOPS refunds its rate of the base, not of the public price.

The headline is the cheapest product; the lowest-priced generic and originator (HAI/WHO's two reference
products) are named too. A missing price, exchange rate or wage for the price's year is never filled in
from another year: that expression of the cost is not computed and a gap names the missing piece.
Values are the versions known as of the date asked (as the evidence engine chooses them).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from cobase.catalogue import load_catalogue
from cobase.catalogue.posology import DDD_CITATION, DefinedDailyDose, Posology, load_posology, oral_ddd
from cobase.clock import utcnow
from cobase.evidence.engine import versions_as_of
from cobase.parse.ma_cnops_medicaments import row_from_quote
from cobase.queries import ObservationVersion, observation_versions
from cobase.registry import Registry, load_registry
from cobase.text import strip_accents

DAYS_PER_MONTH = 30
PRICE_SOURCE = "ma_cnops_medicaments"
PRICE_INDICATORS = ("MA_PPV", "MA_PH", "MA_PRIX_BR", "MA_REIMBURSEMENT_RATE")
EXCHANGE_RATE = ("worldbank_wdi", "PA.NUS.FCRF")
MINIMUM_WAGE = ("ilostat_minimum_wage", "EAR_INEE_NOC_NB_A")

_PACK = re.compile(
    r"^\s*(\d+)\s+(?:BOITES?|ETUIS?|FLACONS?|PILULIERS?)\s+(?:DE\s+)?(\d+)\s+"
    r"(?:COMPRIMES?|GELULES?|CAPSULES?|DRAGEES?|SACHETS?)\b"
)
_ORAL_SOLID = ("COMPRIME", "GELULE", "CAPSULE", "DRAGEE")


@dataclass(frozen=True)
class CostInput:
    """One cited input of the computation: what it is, its value and where it comes from."""

    kind: str  # price, hospital_price, reimbursement_base, reimbursement_rate, exchange_rate, minimum_wage
    value: float
    unit: str | None
    year: int
    source: str
    producer: str
    title: str
    url: str
    landing_url: str
    snapshot_sha256: str
    retrieved_at: datetime
    published_at: datetime | None
    published_basis: str
    quote: str | None = None


@dataclass(frozen=True)
class ProductCost:
    """One product (EAN) of the item and what a month of it costs."""

    ean: str
    name: str
    form: str
    presentation: str
    strength: str
    princeps_generic: str  # P or G, as CNOPS writes it
    units_per_pack: int | None
    units_per_month: float | None
    price: CostInput | None
    hospital_price: CostInput | None
    reimbursement_base: CostInput | None
    reimbursement_rate: CostInput | None
    monthly_local: float | None = None
    monthly_usd: float | None = None
    wage_days: float | None = None
    out_of_pocket_local: float | None = None
    problem_fr: str | None = None
    problem_en: str | None = None

    @property
    def unit_price(self) -> float | None:
        """Pack price ÷ units per pack."""
        if self.price is None or not self.units_per_pack:
            return None
        return self.price.value / self.units_per_pack

    @property
    def reimbursed(self) -> bool | None:
        """True when CNOPS reimburses it (rate above 0), None when the rate is unknown."""
        return None if self.reimbursement_rate is None else self.reimbursement_rate.value > 0


@dataclass(frozen=True)
class CostGap:
    """A piece the computation needed and did not find."""

    piece: str  # price, exchange_rate, minimum_wage, posology
    message_fr: str
    message_en: str


@dataclass(frozen=True)
class MonthlyCost:
    """The monthly cost of one item in one country, with its products, inputs and gaps."""

    country_iso3: str
    item: str
    basis: str | None  # posology, ddd, or None when neither is known
    basis_fr: str
    basis_en: str
    currency: str | None
    year: int | None
    products: list[ProductCost] = field(default_factory=list)
    exchange_rate: CostInput | None = None
    minimum_wage: CostInput | None = None
    gaps: list[CostGap] = field(default_factory=list)

    @property
    def costed(self) -> list[ProductCost]:
        """Products with a monthly cost, cheapest first."""
        return sorted(
            (p for p in self.products if p.monthly_local is not None),
            key=lambda p: (p.monthly_local or 0.0, p.ean),
        )

    @property
    def cheapest(self) -> ProductCost | None:
        """The product with the lowest monthly cost (the headline)."""
        return next(iter(self.costed), None)

    @property
    def lowest_generic(self) -> ProductCost | None:
        """HAI/WHO's lowest-priced generic."""
        return next((p for p in self.costed if p.princeps_generic == "G"), None)

    @property
    def lowest_originator(self) -> ProductCost | None:
        """HAI/WHO's originator brand (the cheapest princeps)."""
        return next((p for p in self.costed if p.princeps_generic == "P"), None)

    @property
    def daily_minimum_wage(self) -> float | None:
        """Monthly minimum wage ÷ 30."""
        return None if self.minimum_wage is None else self.minimum_wage.value / DAYS_PER_MONTH


def monthly_cost(
    session: Session,
    country_iso3: str,
    item: str,
    as_of: date | None = None,
    registry: Registry | None = None,
) -> MonthlyCost:
    """The monthly cost of ``item`` in ``country_iso3`` from the values known as of ``as_of`` (today)."""
    return monthly_costs(session, country_iso3, [item], as_of, registry)[0]


def monthly_costs(
    session: Session,
    country_iso3: str,
    items: list[str],
    as_of: date | None = None,
    registry: Registry | None = None,
) -> list[MonthlyCost]:
    """:func:`monthly_cost` for several items, reading the store once."""
    registry = registry or load_registry()
    known_by = (
        datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC) if as_of is not None else utcnow()
    )
    # The prices of these items only: each item's series are whole (the item is part of a series' key),
    # and building the versions of the list's thousands of other products took a second per dossier.
    prices = [(PRICE_SOURCE, code) for code in PRICE_INDICATORS]
    versions = observation_versions(session, country_iso3, prices, items=items)
    versions += observation_versions(session, country_iso3, [EXCHANGE_RATE, MINIMUM_WAGE])
    shown, _later = versions_as_of(versions, known_by)
    # A list of a year not yet begun is no price as of the date asked.
    current = [
        version
        for version, _changed, _earlier in shown
        if version.withdrawn_at is None and (as_of is None or version.period_start <= as_of)
    ]
    context = {
        key: {v.period_start.year: v for v in current if (v.source, v.indicator) == key}
        for key in (EXCHANGE_RATE, MINIMUM_WAGE)
    }
    by_item: dict[str, list[ObservationVersion]] = defaultdict(list)
    for version in current:
        if version.source == PRICE_SOURCE and version.item in items:
            by_item[version.item].append(version)
    return [_item_cost(country_iso3, item, by_item[item], context, registry) for item in items]


# --- one item ---------------------------------------------------------------------------------------------


def _item_cost(
    iso3: str,
    item: str,
    versions: list[ObservationVersion],
    context: dict[tuple[str, str], dict[int, ObservationVersion]],
    registry: Registry,
) -> MonthlyCost:
    posology = load_posology().get(item)
    ddd = oral_ddd(item) if posology is None else None
    basis, basis_fr, basis_en = _basis(posology, ddd)
    names = load_catalogue().items
    name_fr = names[item].name_fr if item in names else item
    name_en = names[item].name_en if item in names else item
    gaps: list[CostGap] = []
    if basis is None:
        gaps.append(
            CostGap(
                "posology",
                f"Aucune posologie usuelle ni dose définie journalière (DDD) de l'OMS pour {name_fr} : "
                "le nombre d'unités par mois n'est pas connu.",
                f"No usual posology and no WHO defined daily dose for {name_en}: units per month unknown.",
            )
        )
    latest_year = max((v.period_start.year for v in versions), default=None)
    versions = [v for v in versions if v.period_start.year == latest_year]
    products = _products(versions, registry, posology, ddd)
    if not products:
        gaps.append(
            CostGap(
                "price",
                f"Aucun prix de {name_fr} dans les listes de prix détenues pour ce pays"
                + (" au dosage et dans la forme de la posologie retenue." if versions else "."),
                f"No price of {name_en} in the price lists held for this country"
                + (" in the strength and form of the posology." if versions else "."),
            )
        )
    currency = next((p.price.unit for p in products if p.price and p.price.unit), None)
    rate = _input("exchange_rate", context[EXCHANGE_RATE].get(latest_year or 0), registry)
    wage = _input("minimum_wage", context[MINIMUM_WAGE].get(latest_year or 0), registry)
    if products and latest_year is not None:
        if rate is None:
            gaps.append(
                CostGap(
                    "exchange_rate",
                    f"Taux de change officiel de {latest_year} manquant (Banque mondiale, PA.NUS.FCRF) : "
                    "coût en US$ non calculé.",
                    f"Official exchange rate for {latest_year} missing (World Bank, PA.NUS.FCRF): "
                    "no cost in US$.",
                )
            )
        if wage is None:
            gaps.append(
                CostGap(
                    "minimum_wage",
                    f"Salaire minimum légal de {latest_year} manquant (OIT, ILOSTAT EAR_INEE_NOC_NB_A) : "
                    "coût en jours de salaire minimum non calculé.",
                    f"Statutory minimum wage for {latest_year} missing (ILO, ILOSTAT EAR_INEE_NOC_NB_A): "
                    "no cost in days of minimum wage.",
                )
            )
    priced = [_with_cost(product, rate, wage) for product in products]
    return MonthlyCost(
        country_iso3=iso3,
        item=item,
        basis=basis,
        basis_fr=basis_fr,
        basis_en=basis_en,
        currency=currency,
        year=latest_year,
        products=priced,
        exchange_rate=rate,
        minimum_wage=wage,
        gaps=gaps,
    )


def _basis(posology: Posology | None, ddd: DefinedDailyDose | None) -> tuple[str | None, str, str]:
    if posology is not None:
        return (
            "posology",
            f"posologie usuelle de l'adulte (catalogue) : {posology.label_fr}",
            f"usual adult posology (catalogue): {posology.label_en}",
        )
    if ddd is not None and ddd.milligrams is not None:
        amount = f"{ddd.amount:g} {ddd.unit}"
        return (
            "ddd",
            f"dose définie journalière (DDD) de l'OMS, {amount} par jour ({DDD_CITATION})",
            f"WHO defined daily dose (DDD), {amount} a day ({DDD_CITATION})",
        )
    return None, "posologie inconnue", "posology unknown"


def _products(
    versions: list[ObservationVersion],
    registry: Registry,
    posology: Posology | None,
    ddd: DefinedDailyDose | None,
) -> list[ProductCost]:
    by_ean: dict[str, dict[str, ObservationVersion]] = defaultdict(dict)
    for version in versions:
        by_ean[version.breakdown.removeprefix("EAN=")][version.indicator] = version
    products = []
    for ean, series in sorted(by_ean.items()):
        any_version = next(iter(series.values()))
        row = row_from_quote(any_version.quote or "")
        units_per_day = _units_per_day(row, posology, ddd)
        if units_per_day is None:
            continue  # another strength or form than the posology's
        pack = units_per_pack(row.get("PRESENTATION", ""))
        price = _input("price", series.get("MA_PPV"), registry)
        problem = None
        if pack is None:
            problem = ("conditionnement illisible", "unreadable pack size")
        elif price is None or price.value <= 0:
            problem = ("pas de prix public (produit hospitalier)", "no public price (hospital product)")
            price = None
        products.append(
            ProductCost(
                ean=ean,
                name=row.get("NOM", ""),
                form=row.get("FORME", ""),
                presentation=row.get("PRESENTATION", ""),
                strength=f"{row.get('DOSAGE1', '')} {row.get('UNITE_DOSAGE1', '')}".strip(),
                princeps_generic=row.get("PRINCEPS_GENERIQUE", ""),
                units_per_pack=pack,
                units_per_month=units_per_day * DAYS_PER_MONTH,
                price=price,
                hospital_price=_input("hospital_price", series.get("MA_PH"), registry),
                reimbursement_base=_input("reimbursement_base", series.get("MA_PRIX_BR"), registry),
                reimbursement_rate=_input(
                    "reimbursement_rate", series.get("MA_REIMBURSEMENT_RATE"), registry
                ),
                problem_fr=problem[0] if problem else None,
                problem_en=problem[1] if problem else None,
            )
        )
    return products


def _units_per_day(
    row: dict[str, str], posology: Posology | None, ddd: DefinedDailyDose | None
) -> float | None:
    """Units a day of this product, or None when it is not a strength and form the basis covers."""
    strength = _number(row.get("DOSAGE1", ""))
    unit = row.get("UNITE_DOSAGE1", "").strip().lower()
    form = _plain(row.get("FORME", ""))
    if strength is None or strength <= 0:
        return None
    if posology is not None:
        same_strength = unit == posology.strength_unit.lower() and abs(strength - posology.strength) < 1e-9
        return posology.units_per_day if same_strength and form.startswith(_plain(posology.form)) else None
    if ddd is not None and ddd.milligrams is not None and unit == "mg" and form.startswith(_ORAL_SOLID):
        return ddd.milligrams / strength
    return None


def units_per_pack(presentation: str) -> int | None:
    """Units in a pack, from the presentation as CNOPS writes it (``1 BOITE 30 COMPRIME`` -> 30)."""
    match = _PACK.match(_plain(presentation))
    return int(match.group(1)) * int(match.group(2)) if match else None


def _with_cost(product: ProductCost, rate: CostInput | None, wage: CostInput | None) -> ProductCost:
    unit_price = product.unit_price
    if unit_price is None or product.price is None or product.units_per_month is None:
        return product
    monthly = unit_price * product.units_per_month
    out_of_pocket = None
    if product.reimbursement_rate is not None:
        # CNOPS refunds its rate of the reimbursement base (PRIX_BR), which can be below the public price.
        base = product.reimbursement_base.value if product.reimbursement_base else product.price.value
        refunded_per_unit = product.reimbursement_rate.value / 100 * base / (product.units_per_pack or 1)
        out_of_pocket = max(0.0, monthly - refunded_per_unit * product.units_per_month)
    return replace(
        product,
        monthly_local=monthly,
        monthly_usd=monthly / rate.value if rate and rate.value > 0 else None,
        wage_days=monthly / (wage.value / DAYS_PER_MONTH) if wage and wage.value > 0 else None,
        out_of_pocket_local=out_of_pocket,
    )


def _input(kind: str, version: ObservationVersion | None, registry: Registry) -> CostInput | None:
    if version is None or version.value_num is None:
        return None
    source = registry.sources.get(version.source)
    return CostInput(
        kind=kind,
        value=version.value_num,
        unit=version.unit,
        year=version.period_start.year,
        source=version.source,
        producer=source.producer if source else version.source,
        title=source.title if source else version.source,
        url=version.url,
        landing_url=source.url_main if source else version.url,
        snapshot_sha256=version.snapshot_sha256,
        retrieved_at=version.first_seen,
        published_at=version.published_at,
        published_basis=version.published_basis,
        quote=version.quote,
    )


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ".").strip())
    except ValueError:
        return None


def _plain(text: str) -> str:
    """Capitals without accents, single spaces: how price lists write forms."""
    return " ".join(strip_accents(text).upper().split())
