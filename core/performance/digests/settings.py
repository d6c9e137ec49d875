"""Where digests go out and where their links point.

The mail server is configured by SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM and
SMTP_STARTTLS (true/false), read from the environment, else from .streamlit/secrets.toml (the
environment wins). Links in an email point into the app at SALES_APP_URL (default
http://localhost:8501).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict

from core.errors import ValidationFailed
from core.i18n import _

SECRETS = Path(__file__).resolve().parents[3] / ".streamlit" / "secrets.toml"
DEFAULT_APP_URL = "http://localhost:8501"
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class SmtpSettings(BaseModel):
    """How to reach the mail server."""

    model_config = ConfigDict(frozen=True)

    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str
    starttls: bool = False


def _secrets(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def setting(name: str, *, secrets_file: Path = SECRETS) -> str | None:
    """One setting: the environment, else .streamlit/secrets.toml, else None."""
    if os.environ.get(name) not in (None, ""):
        return os.environ[name]
    value = _secrets(secrets_file).get(name)
    return None if value is None else str(value)


def smtp_settings(*, secrets_file: Path = SECRETS) -> SmtpSettings:
    """The mail server's settings; refused with a clear message when one is missing or wrong."""
    host = setting("SMTP_HOST", secrets_file=secrets_file)
    sender = setting("SMTP_FROM", secrets_file=secrets_file)
    if not host or not sender:
        raise ValidationFailed(
            _("Set SMTP_HOST and SMTP_FROM (environment or .streamlit/secrets.toml) to send email.")
        )
    port_text = setting("SMTP_PORT", secrets_file=secrets_file) or "25"
    tls_text = (setting("SMTP_STARTTLS", secrets_file=secrets_file) or "false").strip().lower()
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValidationFailed(
            _("SMTP_PORT must be a port number, not {value}.").format(value=port_text)
        )
    if tls_text not in TRUE | FALSE:
        raise ValidationFailed(
            _("SMTP_STARTTLS must be true or false, not {value}.").format(value=tls_text)
        )
    return SmtpSettings(
        host=host,
        port=int(port_text),
        user=setting("SMTP_USER", secrets_file=secrets_file),
        password=setting("SMTP_PASSWORD", secrets_file=secrets_file),
        sender=sender,
        starttls=tls_text in TRUE,
    )


def app_url() -> str:
    """The app's base address for links in emails, without a trailing slash."""
    return (setting("SALES_APP_URL") or DEFAULT_APP_URL).rstrip("/")


def link(path: str, **params: object) -> str:
    """A deep link into the app: link("/pipeline", deal=12) -> http://.../pipeline?deal=12."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{app_url()}{path}" + (f"?{query}" if query else "")
