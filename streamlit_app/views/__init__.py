"""The app's pages, routed by ``streamlit_app.py``; a package only so an installed wheel ships them."""
