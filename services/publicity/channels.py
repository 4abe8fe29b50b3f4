"""Where publicity goes: the edition's channels, pushed (signed webhooks) or recorded by hand."""

import os
from dataclasses import dataclass

from shared.edition import Edition


@dataclass(frozen=True)
class ChannelTarget:
    code: str
    name: str
    url: str | None  # None: a manual channel
    secret: str | None

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
