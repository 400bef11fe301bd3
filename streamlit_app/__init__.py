"""The Streamlit app: a thin, read-only UI over the cobase store.

It is a package so that ``cobase app`` can locate ``streamlit_app.py`` in an installed copy. Streamlit runs
the entry and page files as scripts with this folder first on ``sys.path``, so they import their helpers
as top-level modules (``import data``); ``import streamlit_app`` from inside a page would find the entry
script, not this package.
"""
