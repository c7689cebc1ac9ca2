"""Where permalinks point: the dashboard's public address, and a visible note whenever a link can
only work on the computer that made it.

The address comes from, in order: `--base-url` on the command line, the `INCIDENTLENS_BASE_URL`
environment variable, then `base_url` in the config file (`incidentlens.toml` next to app.py, or
the file named by `INCIDENTLENS_CONFIG`). Without any of them the dashboard uses the address the
browser used, and the command line uses http://localhost:8501; both then mark their links as a
local copy.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BASE_URL_ENV = "INCIDENTLENS_BASE_URL"
CONFIG_ENV = "INCIDENTLENS_CONFIG"
DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "incidentlens.toml"
LOCAL = "http://localhost:8501"
LOCAL_NOTE = "local copy: this link opens only on the computer that served it"
HOW_TO_SET = (
    f"Set {BASE_URL_ENV} (or --base-url, or base_url in incidentlens.toml) to the public "
    "address for links others can follow."
)


class SettingError(ValueError):
    """A base URL or config file that cannot be used, with where it came from."""


def config_file() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def _from_file() -> tuple[str | None, str]:
    path = config_file()
    if not path.is_file():
        return None, str(path)
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get("base_url")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingError(f"{path}: cannot be read as TOML ({exc})") from None
    if value is not None and not isinstance(value, str):
        raise SettingError(f"{path}: base_url must be a string")
    return value, f"{path}: base_url"


def base_url(explicit: str | None = None) -> str | None:
    """The configured public address without a trailing slash, or None when nothing sets one."""
    for value, where in ((explicit, "--base-url"), (os.environ.get(BASE_URL_ENV), BASE_URL_ENV)):
        if value:
            return checked(value, where)
    value, where = _from_file()
    return checked(value, where) if value else None


def checked(value: str, where: str) -> str:
    """`value` as a base URL (http or https, a host, an optional path; no query or fragment, and no
    space or control character: it is written into links, PDF and Word files)."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        usable = (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and not (parts.query or parts.fragment)
            and parts.port != 0
        )  # reading the port raises ValueError unless it is a number up to 65535
    except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
        usable = False
    if not usable or any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in text):
        raise SettingError(f"{where}: {value!r} is not a base URL like https://incidentlens.example.org")
    return text.rstrip("/")


def is_local(url: str) -> bool:
    """Whether a link points at this computer or a private network (nobody else can open it)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith((".localhost", ".local")) or "." not in host and ":" not in host:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_unspecified or ip.is_link_local


def permalink(base: str, page: str = "", params: Mapping[str, str] | None = None) -> str:
    """`base`/`page`?params: page is a URL path without slashes ('' for the Overview); commas
    between a key's values stay readable."""
    query = urlencode(dict(params or {}), safe=",")
    return f"{base.rstrip('/')}/{page}" + (f"?{query}" if query else "")


def cite(url: str) -> str:
    """A link as printed in a citation, brief, bundle or image: marked when it is a local copy."""
    return f"{url} ({LOCAL_NOTE})" if is_local(url) else url
