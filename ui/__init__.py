"""Streamlit helpers shared by app.py and the pages: database access, sign-in, charts."""
