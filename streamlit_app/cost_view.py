"""The journeys' block on what a month of each chosen medicine costs (no SQL, no rules: it lays out what
:func:`data.monthly_costs` returns, worded by :mod:`cobase.present`, as the dossier is).

Product names and presentations come from a price list: they reach the page through ``st.dataframe`` or
:func:`ui.plain`, never as Markdown.
"""

from __future__ import annotations

from datetime import date

import data
import pandas as pd
import streamlit as st
import ui

from cobase import present
from cobase.evidence.cost import MonthlyCost


def show_costs(database: str, country_iso3: str, items: tuple[str, ...], as_of: date) -> None:
    """Per medicine: the headline cost, its products (price, reimbursement, cost), gaps and cited inputs."""
    costs = data.monthly_costs(database, country_iso3, items, as_of)
    if not costs:
        return
    st.subheader("Coût mensuel du traitement / Monthly cost of treatment", anchor=False)
    st.caption(ui.plain(present.cost_method_text("fr")))
    unpriced = [cost for cost in costs if not cost.products]
    for cost in costs:
        if cost.products:
            show_cost(cost)
    if unpriced:
        names = ", ".join(present.item_name(cost.item) for cost in unpriced)
        st.info(ui.plain(f"Aucun prix dans les listes de prix détenues pour ce pays : {names}."))
        st.caption(ui.plain(f"No price in the price lists held for this country: {names}."))


def show_cost(cost: MonthlyCost) -> None:
    """One medicine: its headline in French then English, the products table, gaps and inputs."""
    st.markdown(f"**{ui.plain(present.item_name(cost.item))}**")
    st.write(ui.plain(present.cost_headline(cost, "fr")))
    st.caption(ui.plain(present.cost_headline(cost, "en")))
    ordered = cost.costed + [p for p in cost.products if p not in cost.costed]
    rows = [present.product_cost_row(product, cost.currency, "fr") for product in ordered]
    st.dataframe(
        pd.DataFrame(rows, columns=present.product_cost_header("fr")), hide_index=True, width="stretch"
    )
    for gap in cost.gaps:
        st.warning(ui.plain(gap.message_fr))
    cheapest = cost.cheapest
    inputs = [cheapest.price, cheapest.reimbursement_base, cheapest.reimbursement_rate] if cheapest else []
    inputs += [cost.exchange_rate, cost.minimum_wage]
    for value in inputs:
        if value is not None:
            st.caption(ui.plain(present.cost_input_citation(value, "fr")))
