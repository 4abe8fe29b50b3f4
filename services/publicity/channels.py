"""Where publicity goes: the edition's channels, pushed (signed webhooks) or recorded by hand.

A push channel's URL is a secret: robot webhooks carry their token in the query string
(`?access_token=...`) and a configured URL may hold a user and password. It is only ever
shown reduced to scheme://host/path (`display_url`); errors are recorded and logged through
`safe_error`, which reduces every URL in their message the same way.
"""

import logging
import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from shared.edition import Edition

# a URL as error messages quote it: up to a space, a quote or a bracket
URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>()\[\]{}]+")
ERROR_LENGTH = 500


@dataclass(frozen=True)
class ChannelTarget:
    code: str
    name: str
    url: str | None = field(repr=False)  # None: a manual channel
    secret: str | None = field(repr=False)

    @property
    def mode(self) -> str:
        return "push" if self.url else "manual"


def channel_targets(edition: Edition) -> dict[str, ChannelTarget]:
    """EXPO_CHANNEL_<CODE>_URL / _SECRET override the edition, per deployment."""
    targets = {}
    for channel in edition.publicity.channels:
        prefix = f"EXPO_CHANNEL_{channel.code.upper()}"
        url = os.environ.get(f"{prefix}_URL", channel.url)
        secret = os.environ.get(f"{prefix}_SECRET") or (
            os.environ.get(channel.secret_env) if channel.secret_env else None
        )
        if url and not secret:
            raise ValueError(
                f"push channel {channel.code} needs a signing secret ({prefix}_SECRET)"
            )
        targets[channel.code] = ChannelTarget(channel.code, channel.name, url or None, secret)
    return targets


def display_url(url: object) -> str:
    """The URL as it may be shown: scheme://host[:port]/path, without user, password, query
    or fragment."""
    text = str(url)
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<url>"
    if not parts.scheme or not host:
        return "<url>"
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def redact(text: str, *urls: str | None) -> str:
    """`text` with the given URLs, and any URL it quotes, reduced to scheme://host/path."""
    for url in urls:
        if url:
            text = text.replace(url, display_url(url))
    return URL_IN_TEXT.sub(lambda m: display_url(m.group()), text)


def safe_error(exc: BaseException, *urls: str | None) -> str:
    """What a failed push may record and log: the error's kind and its message, with no
    channel URL's query string or user in it."""
    return redact(f"{type(exc).__name__}: {exc}", *urls)[:ERROR_LENGTH]


class RedactUrls(logging.Filter):
    """For the HTTP client's own log lines ("HTTP Request: POST https://...?access_token=..."):
    every URL among a record's arguments is reduced to scheme://host/path."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(display_url(a) if _is_url(a) else a for a in record.args)
        if isinstance(record.msg, str) and "://" in record.msg:
            record.msg = redact(record.msg)
        return True


def _is_url(value: object) -> bool:
    if type(value).__name__ == "URL":  # httpx.URL
        return True
    return isinstance(value, str) and URL_IN_TEXT.fullmatch(value) is not None


def quiet_http_client_urls() -> None:
    """Install the filter on the HTTP client's loggers (once)."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactUrls) for f in logger.filters):
            logger.addFilter(RedactUrls())
