"""The sales domain: rules, calculations and services. Never imports streamlit."""
