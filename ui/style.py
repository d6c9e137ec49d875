"""The app's few style rules, in one place: app.py injects them on every run.

On a phone (a screen narrower than 640 px, where Streamlit stacks columns):
- every control one taps (buttons, inputs, choices, the page links) is at least 44 px high,
  the size a fingertip hits reliably;
- the page never scrolls sideways: wide blocks shrink to the screen, long words wrap;
- the page's side padding is small, so forms use the width there is;
- the sidebar closes by itself once a page is picked in it.
Everywhere, the confirmation of a saved change stays pinned in sight (ui/flash.py).
"""

from __future__ import annotations

import streamlit as st

TAP_TARGET_PX = 44
PHONE_MAX_WIDTH_PX = 640

_CSS = f"""
<style>
/* scripts that only set the sign-in cookie take no room */
div[data-testid="stElementContainer"]:has(> div[data-testid="stHtml"] > script:only-child),
div[data-testid="stElementContainer"]:has(> .stHtml script:only-child) {{
  display: none;
}}
/* a saved change's confirmation stays in sight below the header while the page scrolls */
[data-testid="stLayoutWrapper"]:has(> .st-key-flash_confirmation) {{
  position: sticky;
  top: 3.75rem;
  z-index: 990;
  background-color: #ffffff;
  border-radius: 0.5rem;
  box-shadow: 0 2px 6px rgba(0, 0, 0, 0.15);
}}
@media (max-width: {PHONE_MAX_WIDTH_PX}px) {{
  html, body, [data-testid="stApp"], [data-testid="stMain"] {{
    max-width: 100vw;
    overflow-x: hidden;
  }}
  [data-testid="stMainBlockContainer"] {{
    padding-left: 0.75rem;
    padding-right: 0.75rem;
    max-width: 100vw;
  }}
  [data-testid="stForm"], [data-testid="stElementContainer"] {{
    max-width: 100%;
  }}
  [data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"] {{
    overflow-wrap: anywhere;
  }}
  button, [role="button"], [data-testid="stBaseButton-secondary"],
  [data-testid="stBaseButton-primary"], [data-testid="stBaseButton-secondaryFormSubmit"],
  [data-testid="stBaseButton-primaryFormSubmit"], [data-testid="stBaseButton-pills"],
  [data-testid="stBaseButton-segmented_control"], [data-testid="stButtonGroup"] button {{
    min-height: {TAP_TARGET_PX}px;
  }}
  [data-testid="stTextInputRootElement"], [data-testid="stNumberInputContainer"],
  [data-testid="stDateInputField"], div[data-baseweb="select"] > div,
  [data-testid="stSelectbox"] div:has(> input), [data-testid="stSelectbox"] div:has(> div > input),
  [data-testid="stMultiSelect"] div:has(> input),
  [data-testid="stMultiSelect"] div:has(> div > input),
  div[data-baseweb="input"], div[data-baseweb="textarea"] {{
    min-height: {TAP_TARGET_PX}px;
  }}
  [data-testid="stSidebarNavLink"], [data-testid="stCheckbox"] label,
  [data-testid="stRadio"] label, button[role="tab"] {{
    min-height: {TAP_TARGET_PX}px;
    display: flex;
    align-items: center;
  }}
}}
</style>
"""


_CLOSE_SIDEBAR_AFTER_A_CHOICE = f"""
<script>
if (!window.salesSidebarCloses) {{
  window.salesSidebarCloses = true;
  document.addEventListener("click", (event) => {{
    const link = event.target.closest('[data-testid="stSidebarNavLink"]');
    if (!link || window.innerWidth > {PHONE_MAX_WIDTH_PX}) return;
    setTimeout(() => {{
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (close) close.click();
    }}, 150);
  }});
}}
</script>
"""
"""On a phone the open sidebar covers the page: after a page is picked it closes, so the page
shows at once (Streamlit keeps it open)."""


def apply_style() -> None:
    """Inject the style rules (a style-only element takes no room on the page) and the phone
    sidebar's closing after a choice."""
    st.html(_CSS)
    st.html(_CLOSE_SIDEBAR_AFTER_A_CHOICE, unsafe_allow_javascript=True)
