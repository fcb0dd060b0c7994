"""Affiliate postbacks: the network's URL template with `{macro}` placeholders, fired as GET.

Every macro is resolved: known ones from the install, event and click, anything else by name
from the click's own parameters, and unknown ones to an empty string. Values are URL-encoded;
`{_name}` inserts the raw value. The URL is a customer's, so it passes the address guard.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from attribution.api import EventFacts, InstallFacts
from postbacks.frozen import FrozenRequest, Skip
from postbacks.networks import base

_MACRO = re.compile(r"\{(_?)([A-Za-z0-9_.\-]+)\}")


def macros(
    install: InstallFacts, event: EventFacts | None, context: base.Context
) -> dict[str, str]:
    happened = base.event_time(install, event, context.frozen_at)
    money = base.revenue(event, context)
    values = dict(install.click_params)
    values.update(
        {
            "event_name": context.network_event_name,
            "activity_kind": "install" if event is None else "event",
            "transaction_id": context.delivery_id,
            "install_id": install.install_instance_id,
            "idfa": install.idfa,
            "idfv": install.idfv,
            "gaid": install.gaid,
            "platform": install.os,
            "os_version": install.os_version,
            "app_version": install.app_version,
            "ip": install.ip,
            "campaign_id": install.network_campaign_id or install.campaign_display_id,
            "campaign_name": install.campaign_name,
            "timestamp": str(base.unix(happened)),
            "revenue": str(base.number(money[0])) if money else "",
            "currency": money[1] if money else "",
            "user_id": event.user_id if event is not None else "",
            "event_id": event.dedup_id if event is not None else "",
        }
    )
    return values


def render(template: str, values: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        raw, name = match.group(1), match.group(2)
        value = values.get(name, "")
        return value if raw else quote(value, safe="")

    return _MACRO.sub(substitute, template)


def build(
    template: str,
    code: str,
    install: InstallFacts,
    event: EventFacts | None,
    context: base.Context,
) -> FrozenRequest | Skip:
    if not template.strip():
        return Skip("affiliate has no postback URL template")
    url = render(template.strip(), macros(install, event, context))
    return FrozenRequest("GET", url, (), "", classifier="", guarded=True, label=f"affiliate:{code}")
