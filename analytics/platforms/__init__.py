"""One client per analytics platform: `build` freezes the request, `classify` reads answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analytics.platforms import amplitude, braze, clevertap, ga4, mixpanel, moengage, posthog
from postbacks.api import Verdict


@dataclass(frozen=True)
class Platform:
    code: str
    build: Callable[..., Any]
    classify: Callable[[int, bytes], Verdict]


PLATFORMS: dict[str, Platform] = {
    module.CODE: Platform(module.CODE, module.build, module.classify)
    for module in (amplitude, braze, clevertap, mixpanel, posthog, moengage, ga4)
}
