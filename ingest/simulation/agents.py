"""Real-world browser user agents for simulated devices, and the app user agents SDKs send.

Browser agents come from the corpus fake-useragent ships (collected from real traffic, each with
its share of traffic); only mobile iOS and Android agents are kept, drawn by that share, so the
click pipeline sees the mix of browsers, in-app browsers and OS versions it would see in the wild.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_IOS_VERSION = re.compile(r"(?:iPhone|CPU) OS (\d+(?:_\d+)*)")
_ANDROID_VERSION = re.compile(r"Android (\d+(?:\.\d+)*)")
_ANDROID_MODEL = re.compile(r"Android [\d.]+; ([^;)]+?)(?: Build/|\))")


@dataclass(frozen=True)
class BrowserAgent:
    user_agent: str
    platform: str  # IOS or ANDROID
    os_version: str  # dotted, as the user agent states it
    model: str
    brand: str
    weight: float


@lru_cache(maxsize=1)
def corpus() -> tuple[BrowserAgent, ...]:
    """The mobile agents of the shipped corpus that state an OS version."""
    text = (resources.files("fake_useragent") / "data" / "browsers.jsonl").read_text()
    agents = []
    for line in text.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        agent = _agent(row)
        if agent is not None:
            agents.append(agent)
    if not agents:
        raise RuntimeError("the fake-useragent corpus holds no mobile user agents")
    return tuple(agents)


def _agent(row: dict[str, object]) -> BrowserAgent | None:
    if row.get("type") != "mobile" or row.get("os") not in ("iOS", "Android"):
        return None
    user_agent = str(row.get("useragent") or "")
    ios = row.get("os") == "iOS"
    found = (_IOS_VERSION if ios else _ANDROID_VERSION).search(user_agent)
    if not found:
        return None
    version = found.group(1).replace("_", ".")
    return BrowserAgent(
        user_agent=user_agent,
        platform="IOS" if ios else "ANDROID",
        os_version=version,
        model=_model(user_agent, ios),
        brand=str(row.get("device_brand") or ("Apple" if ios else "Google")),
        weight=float(str(row.get("percent") or 0.001)),
    )


def _model(user_agent: str, ios: bool) -> str:
    if ios:
        return "iPad" if "iPad" in user_agent else "iPhone"
    found = _ANDROID_MODEL.search(user_agent)
    # Chrome's reduced agent says only "K"; such a phone still has a model name.
    return found.group(1).strip() if found and found.group(1).strip() != "K" else "Pixel 7"


def pick(rng: random.Random, platform: str) -> BrowserAgent:
    """A browser agent of the platform, drawn by its share of real traffic."""
    pool = [a for a in corpus() if a.platform == platform]
    return rng.choices(pool, weights=[a.weight for a in pool], k=1)[0]


def app_user_agent(platform: str, app_version: str, model: str, os_version: str) -> str:
    """What the SDK's HTTP client sends: the iOS SDK's own format, Android's Dalvik agent."""
    if platform == "IOS":
        return f"Linkrunner-iOS/{app_version} ({model}; iOS {os_version}; Build/{app_version})"
    return f"Dalvik/2.1.0 (Linux; U; Android {os_version}; {model} Build/UP1A.231005.007)"
