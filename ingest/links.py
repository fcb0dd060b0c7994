"""Campaign links: which campaign a URL names, where a visitor is sent, what a click carries.

Platform and in-app browser are read from the user agent with a few cheap patterns, enough to
choose a redirect; the click pipeline parses the user agent properly later. The Play Store is
given the click id and UTMs inside its single `referrer` parameter, which is what the Install
Referrer API hands back to the app (and to the `init` call) after the install.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http.request import split_domain_port

from attribution import queries
from attribution.models import App, Campaign, Platform

CAMPAIGN_PARAM = "c"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_id", "utm_term", "utm_content")
AD_CLICK_KEYS = ("gclid", "gbraid", "wbraid", "fbclid", "ttclid", "sccid", "msclkid")
MAX_PARAMS = 50
MAX_PARAM_LENGTH = 1000

_IOS = re.compile(r"iPhone|iPad|iPod", re.IGNORECASE)
_ANDROID = re.compile(r"Android", re.IGNORECASE)
_IN_APP = (
    ("facebook", re.compile(r"FBAN|FBAV|FB_IAB|FBIOS")),
    ("instagram", re.compile(r"Instagram")),
    ("tiktok", re.compile(r"musical_ly|BytedanceWebview|TikTok", re.IGNORECASE)),
    ("snapchat", re.compile(r"Snapchat")),
    ("twitter", re.compile(r"Twitter")),
    ("linkedin", re.compile(r"LinkedInApp")),
    ("line", re.compile(r"\bLine/")),
    ("webview", re.compile(r"; wv\)")),
)
# How long the in-app page waits for the app to open before falling back (from the contract).
IN_APP_DELAY_MS: dict[str, int] = {Platform.IOS: 300, Platform.ANDROID: 5000}


class DisplayIdConverter:
    """A campaign display id, never one of the words other routes (or APPEND_SLASH) need."""

    regex = (
        r"(?!(?:admin|api|web|static|healthz|readyz|metrics|reports|dashboard|webhook"
        r"|favicon\.ico|robots\.txt)(?:/|$))"
        r"[A-Za-z0-9_-]{1,64}"
    )

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


@dataclass(frozen=True)
class Visitor:
    platform: str  # Platform.IOS, Platform.ANDROID or "DESKTOP"
    in_app_browser: str  # "" when an ordinary browser


@dataclass(frozen=True)
class Redirect:
    url: str
    # Set for in-app browsers: try the app first, then go to `url` after `delay_ms`.
    deeplink: str = ""
    delay_ms: int = 0


def detect(user_agent: str) -> Visitor:
    if _IOS.search(user_agent):
        platform = str(Platform.IOS)
    elif _ANDROID.search(user_agent):
        platform = str(Platform.ANDROID)
    else:
        platform = "DESKTOP"
    in_app = next((name for name, pattern in _IN_APP if pattern.search(user_agent)), "")
    return Visitor(platform, in_app if platform != "DESKTOP" else "")


def click_params(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Decoded query parameters of a click (first value wins), without the campaign id."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name == CAMPAIGN_PARAM or name in params or len(params) >= MAX_PARAMS:
            continue
        # NUL is dropped: the click row's JSON (PostgreSQL jsonb) cannot hold it.
        params[name.replace("\x00", "")[:100]] = value.replace("\x00", "")[:MAX_PARAM_LENGTH]
    return params


def play_referrer(params: Mapping[str, str], click_id: str) -> str:
    """The Install Referrer string: UTMs and ad click ids as sent, then our click id."""
    carried = [(key, value) for key, value in params.items() if key in (*UTM_KEYS, *AD_CLICK_KEYS)]
    return urlencode([*carried, ("click_id", click_id)])


def store_url(app: App, click_id: str, params: Mapping[str, str]) -> str:
    if app.platform == Platform.ANDROID:
        base = app.store_url or "https://play.google.com/store/apps/details"
        parts = urlsplit(base)
        if parts.netloc == "play.google.com":
            query = urlencode({"id": app.bundle_id, "referrer": play_referrer(params, click_id)})
            return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return app.store_link()


def _store_for(campaign: Campaign, platform: str) -> App | None:
    listings = [app for app in campaign.store_listings.all() if app.platform == platform]
    if listings:
        return listings[0]
    return App.objects.filter(project_id=campaign.project_id, platform=platform).first()


def with_params(url: str, params: Mapping[str, str]) -> str:
    """`url` with `params` appended to its query (keys it already has are kept as they are)."""
    if not url or not params:
        return url
    parts = urlsplit(url)
    existing = parse_qsl(parts.query, keep_blank_values=True)
    known = {key for key, _ in existing}
    extra = [(key, value) for key, value in params.items() if key not in known]
    return urlunsplit(parts._replace(query=urlencode([*existing, *extra])))


def destination(
    campaign: Campaign, visitor: Visitor, click_id: str, params: Mapping[str, str]
) -> Redirect:
    """Where a click goes, by the contract's priority rules for each kind of visitor."""
    project_site = campaign.project.website
    if visitor.platform == "DESKTOP":
        store = _store_for(campaign, Platform.ANDROID) or _store_for(campaign, Platform.IOS)
        store_link = store_url(store, click_id, params) if store else ""
        return Redirect(_first(campaign.website, project_site, store_link))
    store = _store_for(campaign, visitor.platform)
    store_link = store_url(store, click_id, params) if store else ""
    if visitor.in_app_browser:
        fallback = _first(store_link, campaign.website, project_site)
        deeplink = with_params(campaign.deeplink, params)
        return Redirect(fallback, deeplink, IN_APP_DELAY_MS.get(visitor.platform, 300))
    platform_redirect = (
        campaign.ios_web_redirect
        if visitor.platform == Platform.IOS
        else campaign.android_web_redirect
    )
    return Redirect(_first(platform_redirect, store_link, campaign.website, project_site))


def served_on(campaign: Campaign, host: str) -> bool:
    """Whether a click arriving on `host` (as `request.get_host()` gives it) is the campaign's.

    Once the campaign has a link domain (its own, else the project's default), its links are
    published there, and only the project's domains serve them: a display id on anyone else's
    host is not this project's link. Until then links are given out on the API's own host, and
    any host serves them.
    """
    domains = list(campaign.project.domains.all())
    published_on = campaign.domain or next((d for d in domains if d.is_default), None)
    if published_on is None:
        return True
    hosts = {domain.host.lower().removesuffix(".") for domain in (*domains, published_on)}
    name, _port = split_domain_port(host)
    return name in hosts


def _first(*candidates: str) -> str:
    return next((candidate for candidate in candidates if candidate), "")


def display_id_of(url: str) -> tuple[str | None, dict[str, str]]:
    """The campaign display id named by a link URL (`?c=` or the path), and its other params."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        return None, {}
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    params = click_params(pairs)
    named = dict(pairs).get(CAMPAIGN_PARAM)
    if named:
        return named, params
    segments = [segment for segment in parts.path.split("/") if segment]
    if len(segments) == 2 and segments[0] == "c":
        segments = segments[1:]
    return (segments[0] if len(segments) == 1 else None), params


def deferred_deeplink(deeplink: str | None, click_url: str) -> str | None:
    """A campaign's deep link with the extra parameters of the link that was clicked (a
    referral code, say), as the app receives it after the install."""
    if not deeplink or not click_url:
        return deeplink
    return with_params(deeplink, display_id_of(click_url)[1])


def resolve_app_link(project_id: int, url: str) -> str | None:
    """The deep link a campaign URL opens in the app, or None when it is not one of ours."""
    display_id, params = display_id_of(url)
    if not display_id:
        return None
    campaign = queries.project_campaign(project_id, display_id)
    if campaign is None:
        return None
    return with_params(campaign.deeplink, params) if campaign.deeplink else url
