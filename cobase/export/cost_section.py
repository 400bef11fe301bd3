"""The dossier's section on what a month of each chosen medicine costs (HAI/WHO method).

Built from :class:`~cobase.evidence.cost.MonthlyCost` values computed by the caller (the CLI or the app,
which hold a database session): a dossier never reads the database itself. Every input is cited in the
section (producer, title, date and what it is, URL, SHA-256 of the kept file), and a missing piece is
stated as a gap, never filled in from another year.
"""

from __future__ import annotations

from collections.abc import Sequence

from cobase import present
from cobase.evidence.cost import CostInput, MonthlyCost, ProductCost
from cobase.export.document import Block, Bullets, Heading, Paragraph, Table

COST_WIDTHS = [20.0, 16.0, 8.0, 10.0, 10.0, 18.0, 18.0]


def cost_blocks(costs: Sequence[MonthlyCost], lang: str = "fr") -> list[Block]:
    """Heading, method, then per item: the headline, the products table, gaps and cited inputs."""
    if not costs:
        return []
    blocks: list[Block] = [
        Heading(present.pick(lang, "Coût mensuel du traitement", "Monthly cost of treatment"), 1),
        Paragraph(present.cost_method_text(lang), small=True),
    ]
    unpriced = [cost for cost in costs if not cost.products]
    for cost in costs:
        if not cost.products:
            continue
        blocks.append(Heading(present.item_name(cost.item, lang), 2))
        blocks.append(Paragraph(present.cost_headline(cost, lang)))
        references = _references(cost, lang)
        if cost.products:
            blocks.append(
                Table(
                    header=present.product_cost_header(lang),
                    rows=[present.product_cost_row(p, cost.currency, lang) for p in _ordered(cost)],
                    widths=COST_WIDTHS,
                )
            )
        if cost.gaps:
            blocks.append(Bullets([present.pick(lang, g.message_fr, g.message_en) for g in cost.gaps]))
        if references:
            blocks.append(Paragraph(present.pick(lang, "Données utilisées :", "Inputs used:"), small=True))
            blocks.append(Bullets(references))
    if unpriced:
        names = ", ".join(present.item_name(cost.item, lang) for cost in unpriced)
        blocks.append(
            Paragraph(
                present.pick(
                    lang,
                    "Aucun prix dans les listes de prix détenues pour ce pays, coût mensuel non calculé : "
                    f"{names}.",
                    f"No price in the price lists held for this country, monthly cost not computed: {names}.",
                ),
                emphasis=True,
            )
        )
    return blocks


def _ordered(cost: MonthlyCost) -> list[ProductCost]:
    """Costed products cheapest first, then the others."""
    costed = cost.costed
    return costed + [p for p in cost.products if p not in costed]


def _references(cost: MonthlyCost, lang: str) -> list[str]:
    inputs: list[CostInput] = []
    cheapest = cost.cheapest
    if cheapest is not None:
        for value in (cheapest.price, cheapest.reimbursement_base, cheapest.reimbursement_rate):
            if value is not None:
                inputs.append(value)
    inputs += [value for value in (cost.exchange_rate, cost.minimum_wage) if value is not None]
    return [present.cost_input_citation(value, lang) for value in inputs]
