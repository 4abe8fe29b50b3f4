"""The files `expo run` keeps in var/ for its stack and for people: the secrets it made once
(var/secrets.env), and the shell variables of this run (var/demo.env, var/operator.env).
Each is readable by its owner only, from its first byte."""

import os
import re
import secrets
import shlex
from datetime import date
from pathlib import Path

from shared.settings import REPO_ROOT, Settings

AUTH_SECRET = "EXPO_AUTH_SECRET"


def var_dir() -> Path:
    """Where the stack keeps its files: as Settings reads it, but known before Settings is
    built (Settings needs the secret kept there)."""
    return Path(os.environ.get("EXPO_VAR_DIR") or REPO_ROOT / "var")


def read_variables(path: Path) -> dict[str, str]:
    """The `NAME=value` lines of a file (comments skipped); nothing when there is no file."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return {}
    pairs = [line.partition("=") for line in lines if not line.startswith("#")]
    return {name.strip(): value.strip() for name, equals, value in pairs if equals}


def new_secret(name: str) -> str:
    if name == AUTH_SECRET:
        return secrets.token_urlsafe(32)
    # A NATS password: nats-server reads a value that starts with a digit as a number, and
    # it goes into URLs (nats://user:password@...), so a letter, then hex.
    return "s" + secrets.token_hex(24)


def stack_secrets(var: Path, names: list[str]) -> dict[str, str]:
    """The secrets of this machine's stack, by variable name, from var/secrets.env: those it
    does not hold yet are made and written there, for every later run to reuse."""
    path = var / "secrets.env"
    kept = read_variables(path)
    made = {name: new_secret(name) for name in names if not kept.get(name)}
    if made:
        lines = ["# Made by `expo run` on its first run and reused by every later one (remove"]
        lines += ["# it to start afresh: the tokens issued so far then stop working)."]
        write_owner_only(path, lines + [f"{name}={value}" for name, value in (kept | made).items()])
    elif path.exists():
        path.chmod(0o600)  # readable by its owner only, whatever was done to it since
    return kept | made


def without_credentials(url: str) -> str:
    """The NATS URL (or comma-separated URLs) as it may be printed: no user, password, token."""
    return ",".join(re.sub(r"//[^/@]*@", "//", part) for part in url.split(","))


def write_owner_only(path: Path, lines: list[str]) -> Path:
    """Secrets inside: readable by its owner only from its first byte. Written beside, then
    put in place, so that a crash leaves the old file or the new one, never half of one."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(descriptor, 0o600)  # whatever the umask
    with open(descriptor, "w") as file:
        file.write("\n".join(lines) + "\n")
    os.replace(partial, path)
    return path


def export(name: str, value: str) -> str:
    return f"export {name}={shlex.quote(value)}"


def write_shell_variables(
    path: Path, nats_url: str, urls: dict[str, str], tokens: dict[str, str], today: date
) -> Path:
    """The running stack as shell variables ($REGISTRATION_URL, $TOKEN_COUNTY_KONGTONG, $TODAY
    on the business clock, $EXPO_NATS_URL as the read-only integrator...), so the README's
    commands work whichever ports this run took."""
    lines = [export("EXPO_NATS_URL", nats_url), f"export TODAY={today}"]
    lines += [export(f"{service.upper()}_URL", url) for service, url in urls.items()]
    for role, token in tokens.items():
        lines.append(export("TOKEN_" + re.sub(r"[^A-Za-z0-9]", "_", role).upper(), token))
    return write_owner_only(path, lines)


def write_operator_variables(path: Path, settings: Settings, nats_url: str) -> Path:
    """What `expo token <role>` and `expo token revoke <token>` need to act on this stack: its
    secret, its edition and the operator's NATS user, which may write the revocation list."""
    lines = [export(AUTH_SECRET, settings.token_keys.signing), export("EXPO_NATS_URL", nats_url)]
    lines.append(export("EXPO_EDITION_FILE", str(settings.edition_file)))
    return write_owner_only(path, lines)
