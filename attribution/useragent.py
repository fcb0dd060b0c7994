"""User agents reduced to what matching and reports need: platform, OS version, device type,
and whether a click came from an ad app's in-app browser.

Browser user agents go through ua-parser (uap-core rules). An in-app browser is recognised from
the app's own token, because uap-core may name only the underlying browser; the app version is
read from that token in full (uap-core keeps three parts). SDK user agents ("MyApp/1.0 (iPhone;
iOS 17.4)", "Dalvik/2.1.0 (Linux; U; Android 14; ...)") are reduced to the same platform + OS
version, so a browser click and an app install can be compared (case C11).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import ua_parser

# Order matters: Instagram's Android UA also carries "Android", Facebook's carries FBAN.
_IN_APP = (
    ("Instagram", re.compile(r"\bInstagram[ /]([\d.]+)")),
    ("Facebook", re.compile(r"\b(?:FBAV|FBSV_APP)/([\d.]+)|\b(?:FBAN|FB_IAB|FB4A)\b")),
    ("TikTok", re.compile(r"\b(?:musical_ly|TikTok|trill|BytedanceWebview)[_/ ]?([\d.]*)")),
    ("Snapchat", re.compile(r"\bSnapchat/([\d.]+)")),
)
_SDK_OS = re.compile(r"\b(iOS|iPadOS|Android)[ /]([\d][\d._]*)", re.IGNORECASE)
_BOT_FAMILIES = frozenset({"Spider"})
_TABLETS = re.compile(r"iPad|Tablet|SM-T\d", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedAgent:
    platform: str  # "IOS", "ANDROID", "WEB" (desktop and others) or "" when unknown
    os: str
    os_version: str
    device_type: str  # mobile, tablet, desktop, bot, ""
    browser: str
    in_app_browser: str  # Instagram, Facebook, TikTok, Snapchat or ""
    app_version: str
    is_bot: bool


def normalize_version(raw: str | None) -> str:
    """`17_4_1` and `17.4.1` both become `17.4.1`; trailing `.0` parts are dropped."""
    if not raw:
        return ""
    parts = [p for p in re.split(r"[._]", raw.strip()) if p.isdigit()]
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return ".".join(str(int(p)) for p in parts)


def same_os_version(left: str, right: str) -> bool:
    """Equal on major.minor; a missing minor counts as 0 ("14" == "14.0")."""
    if not left or not right:
        return False
    a = [*left.split("."), "0"][:2]
    b = [*right.split("."), "0"][:2]
    return a == b


def _platform_of(os_family: str) -> str:
    family = os_family.lower()
    if family in {"ios", "ipados"}:
        return "IOS"
    if family == "android":
        return "ANDROID"
    return "WEB" if family else ""


def _in_app(user_agent: str) -> tuple[str, str]:
    for app, pattern in _IN_APP:
        found = pattern.search(user_agent)
        if found:
            version = next((g for g in found.groups() if g), "")
            return app, version
    return "", ""


@lru_cache(maxsize=4096)
def parse_user_agent(user_agent: str) -> ParsedAgent:
    """Parse a browser or SDK user agent (cached: clicks repeat the same few agents)."""
    result = ua_parser.parse(user_agent or "")
    os_family = result.os.family if result.os else ""
    os_version = ""
    if result.os:
        os_version = normalize_version(
            ".".join(p for p in (result.os.major, result.os.minor, result.os.patch) if p)
        )
    sdk = _SDK_OS.search(user_agent or "")
    if sdk and (not os_family or os_family == "Other"):
        os_family = "iOS" if sdk.group(1).lower() in {"ios", "ipados"} else "Android"
        os_version = normalize_version(sdk.group(2))
    device_family = result.device.family if result.device else ""
    is_bot = device_family in _BOT_FAMILIES
    platform = _platform_of(os_family if os_family != "Other" else "")
    app, app_version = _in_app(user_agent or "")
    return ParsedAgent(
        platform=platform,
        os=os_family if os_family != "Other" else "",
        os_version=os_version,
        device_type=_device_type(platform, user_agent or "", is_bot),
        browser=result.user_agent.family if result.user_agent else "",
        in_app_browser=app,
        app_version=app_version,
        is_bot=is_bot,
    )


def _device_type(platform: str, user_agent: str, is_bot: bool) -> str:
    if is_bot:
        return "bot"
    if platform in {"IOS", "ANDROID"}:
        return "tablet" if _TABLETS.search(user_agent) else "mobile"
    return "desktop" if platform == "WEB" else ""
