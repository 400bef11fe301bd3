"""The Streamlit app: a thin UI over the cobase store.

It only reads, with one exception: a curated finding the user explicitly saves on the Rapports page
(and its confirmation or retraction). Nothing else typed in the app is stored, and there is no field
for a patient.

It is a package so that ``cobase app`` can locate ``streamlit_app.py`` in an installed copy. Streamlit runs
the entry and page files as scripts with this folder first on ``sys.path``, so they import their helpers
as top-level modules (``import data``); ``import streamlit_app`` from inside a page would find the entry
script, not this package.
"""
