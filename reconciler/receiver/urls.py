"""URLs in messages: a password (in the user part or the query) never shown."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Connection parameters that are secrets when given in the URL's query (libpq's names).
SECRET_PARAMS = frozenset({"password", "sslpassword"})


def redacted(url: str) -> str:
    """The URL without its password (in the user part or the query), for messages."""
    base, mark, rest = url.partition("?")
    parts = urlsplit(base)
    if parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)[1]
        base = urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{netloc}"))
    query, hash_mark, fragment = rest.partition("#")
    if query:
        pairs = [(name, "***" if name in SECRET_PARAMS else value)
                 for name, value in parse_qsl(query, keep_blank_values=True)]  # fmt: skip
        query = urlencode(pairs, safe="*/:")
    return f"{base}{mark}{query}{hash_mark}{fragment}"


def has_credentials(url: str) -> bool:
    """Whether `url` carries a user name or password (`https://user:pw@host/…`)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "@" in url
    return parts.username is not None or parts.password is not None


def shown(url: str) -> str:
    """`url` for a message: without its password, or only its scheme if it cannot be taken apart."""
    try:
        return redacted(url)
    except ValueError:
        return url.split(":", 1)[0] + "://…"
