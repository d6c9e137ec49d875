"""Process settings, read from the environment (and a .env file): where the database lives."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_DIR / "data" / "sales.db"


class Settings(BaseSettings):
    """`DATABASE_URL` chooses the database; the embedded SQLite file under data/ by default."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    session_idle_minutes: float = 60
    """A signed-in user who does nothing for this long must sign in again."""
    session_lifetime_hours: float = 12
    """However active, a sign-in lasts at most this long (a working day), then ends."""
    session_cookie_secret: str | None = None
    """SESSION_COOKIE_SECRET signs the sign-in cookie; without it a random secret is generated
    once into data/session_cookie_secret (fine for one server; set it when several serve)."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
