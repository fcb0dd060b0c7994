"""The simulator's verdict: what was sent, what the platform stored and attributed, how fast,
which postbacks went out, and every request that was not answered as a client expects.

A run fails when the pipeline did not drain (a delivery of the run still open at the time limit),
an install went missing, a request was not answered 2xx, a paid install names
no campaign, a journey kind matched below its floor (plan.MIN_MATCH_RATE), a network did not
receive a kind of event it should have (simulation.deliveries) or a postback left the machine.

`build()` reads the database once the pipeline has drained and returns a plain dict (the bench
reuses it); `render()` turns it into the text `manage.py simulate` prints.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from attribution.models import Campaign, Install
from ingest.simulation import deliveries
from ingest.simulation.client import Exchange
from ingest.simulation.drain import Drained, chunks, stored_events
from ingest.simulation.fakes import OutsideWorld
from ingest.simulation.ledger import Ledger
from ingest.simulation.plan import MIN_MATCH_RATE, PAID_KINDS
from postbacks.models import Delivery

# The tier each journey kind should be won at (attribution.strategies.base).
TIERS = {
    "meta_referrer": "tier 1 referrer",
    "link_play_referrer": "tier 1 referrer",
    "apple_search_ads": "tier 2 deterministic",
    "link_ip_match": "tier 3 probabilistic",
    "organic": "organic",
    "reinstall": "organic reinstall",
}


def build(
    project_id: int,
    ledger: Ledger,
    exchanges: list[Exchange],
    drained: Drained,
    world: OutsideWorld,
    since: datetime,
    send_seconds: float,
) -> dict[str, Any]:
    sent = {s.install_instance_id: s for s in ledger.installs}
    installs = _installs(project_id, list(sent))
    campaigns = dict(Campaign.objects.filter(project_id=project_id).values_list("id", "name"))
    latencies = sorted(
        i.attributed_at.timestamp() - sent[i.install_instance_id].sent_at
        for i in installs
        if i.attributed_at is not None
    )
    failures = [e for e in exchanges if not _acceptable(e)]
    done = [i.attributed_at.timestamp() for i in installs if i.attributed_at is not None]
    first_sent = min((s.sent_at for s in sent.values()), default=0.0)
    window = (max(done) - first_sent) if done else 0.0
    made = deliveries.by_kind(project_id, since)
    wanted = deliveries.expected(project_id, installs, since)
    return {
        "installs_sent": len(sent),
        "installs_accepted": sum(s.accepted for s in sent.values()),
        "installs_stored": len(installs),
        "installs_attributed": drained.attributed,
        "paid_installs": sum(i.attribution_type == "INORGANIC" for i in installs),
        "reinstalls_sent": sum(s.reinstall for s in sent.values()),
        "reinstalls_detected": sum(i.is_reinstall for i in installs),
        "send_seconds": round(send_seconds, 2),
        "drain_seconds": round(drained.seconds, 2),
        "drain_timed_out": drained.timed_out,
        "drain_stalled": drained.stalled,
        "open_deliveries": drained.open_deliveries,
        "by_source": _by_source(installs, campaigns),
        "paid_without_campaign": dict(
            Counter(
                i.source or "-"
                for i in installs
                if i.attribution_type == "INORGANIC" and i.campaign_id is None
            )
        ),
        "match_by_kind": _match_by_kind(installs, sent),
        "latency_seconds": _percentiles(latencies),
        "attributed_per_second": round(len(done) / window, 2) if window > 0 else None,
        "request_latency_ms": _request_latency(exchanges),
        "events": _events(project_id, ledger, since),
        "postbacks": _postbacks(project_id, since),
        "postbacks_by_kind": made,
        "postbacks_expected": wanted,
        "postbacks_missing": deliveries.missing(wanted, made),
        "postbacks_off_machine": deliveries.off_machine(project_id, since),
        "postbacks_received_by_fakes": dict(world.received),
        "apple_calls": world.apple_calls,
        "requests": dict(Counter(e.route for e in exchanges if e.final)),
        "not_2xx": [_describe(e) for e in failures],
        "final_failures": sum(e.final for e in failures),
        "findings": dict(ledger.findings),
    }


def problems(result: dict[str, Any]) -> list[str]:
    """Why the run fails, one line per reason; empty when it passes."""
    found = []
    if result["drain_timed_out"]:
        found.append(
            f"the drain gave up after {result['drain_seconds']} s with"
            f" {result['open_deliveries']} deliveries or events unfinished"
        )
    if result["installs_stored"] != result["installs_sent"]:
        found.append(f"{result['installs_sent'] - result['installs_stored']} installs not stored")
    if result["not_2xx"]:
        found.append(f"{len(result['not_2xx'])} requests not answered 2xx")
    for source, n in sorted(result["paid_without_campaign"].items()):
        found.append(f"{n} paid installs credited by {source} name no campaign")
    for row in result["match_by_kind"]:
        floor = row["expected_rate"]
        if floor is not None and row["rate"] is not None and row["rate"] < floor:
            found.append(f"{row['kind']} matched {row['matched']}/{row['sent']}, below {floor:.0%}")
    found += [f"no {entry} postback delivered" for entry in result["postbacks_missing"]]
    found += [f"a {d} postback left the machine" for d in result["postbacks_off_machine"]]
    return found


def passed(result: dict[str, Any]) -> bool:
    return not problems(result)


def _installs(project_id: int, instance_ids: list[str]) -> list[Install]:
    found: list[Install] = []
    for part in chunks(instance_ids):
        found.extend(
            Install.objects.filter(project_id=project_id, install_instance_id__in=part).only(
                "install_instance_id",
                "status",
                "attribution_type",
                "source",
                "campaign_id",
                "network_code",
                "is_reinstall",
                "attributed_at",
            )
        )
    return found


def _acceptable(exchange: Exchange) -> bool:
    if exchange.status is None:
        return False
    if exchange.route == "/<display_id>":
        return 200 <= exchange.status < 400  # a link answers with a redirect
    return 200 <= exchange.status < 300


def _describe(exchange: Exchange) -> dict[str, Any]:
    return {
        "request": f"{exchange.method} {exchange.route}",
        "status": exchange.status,
        "error": exchange.error,
        "body": exchange.body,
        "retried": not exchange.final,
    }


def _by_source(installs: list[Install], campaigns: dict[int, str]) -> list[dict[str, Any]]:
    groups: Counter[tuple[str, str, str]] = Counter()
    for install in installs:
        campaign = campaigns.get(install.campaign_id or 0, "-") if install.campaign_id else "-"
        groups[(install.attribution_type, install.source or "-", campaign)] += 1
    return [
        {"type": kind, "source": source, "campaign": campaign, "installs": n}
        for (kind, source, campaign), n in sorted(groups.items(), key=lambda kv: -kv[1])
    ]


def _match_by_kind(installs: list[Install], sent: dict[str, Any]) -> list[dict[str, Any]]:
    """Per journey kind: how many installs ended on the campaign they should, and via which
    strategy. Organic kinds match when they stayed organic."""
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"sent": 0, "matched": 0, "via": Counter()}
    )
    for install in installs:
        planned = sent[install.install_instance_id]
        row = rows[planned.kind]
        row["sent"] += 1
        row["via"][install.source or "-"] += 1
        if planned.kind in PAID_KINDS:
            row["matched"] += install.campaign_id == planned.expected_campaign_id
        else:
            row["matched"] += install.attribution_type == "ORGANIC"
    return [
        {"kind": kind, "sent": row["sent"], "matched": row["matched"],
         "rate": round(row["matched"] / row["sent"], 3) if row["sent"] else None,
         "expected_rate": MIN_MATCH_RATE.get(kind), "via": dict(row["via"])}
        for kind, row in sorted(rows.items())
    ]  # fmt: skip


def _percentiles(values: list[float]) -> dict[str, float | None]:
    def at(pct: float) -> float | None:
        if not values:
            return None
        return round(values[min(len(values) - 1, int(pct / 100 * len(values)))], 3)

    return {"p50": at(50), "p90": at(90), "p99": at(99), "max": at(100)}


def _request_latency(exchanges: list[Exchange]) -> dict[str, dict[str, float | None]]:
    by_route: dict[str, list[float]] = defaultdict(list)
    for exchange in exchanges:
        by_route[exchange.route].append(exchange.latency_s * 1000)
    return {route: _percentiles(sorted(values)) for route, values in by_route.items()}


def events_sent(ledger: Ledger) -> dict[str, int]:
    return {
        "signups": ledger.calls["/api/client/trigger"],
        "payments": ledger.calls["/api/client/capture-payment"]
        + ledger.calls["/api/v1/capture-payment"],
        "custom_events": ledger.calls["/api/client/capture-event"],
    }


def _events(project_id: int, ledger: Ledger, since: datetime) -> dict[str, dict[str, int]]:
    stored = stored_events(project_id, since)
    return {
        kind: {"sent": sent, "stored": stored[kind]} for kind, sent in events_sent(ledger).items()
    }


def _postbacks(project_id: int, since: datetime) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = defaultdict(dict)
    rows = Delivery.objects.filter(project_id=project_id, created_at__gte=since).values_list(
        "destination", "state"
    )
    for destination, state in rows:
        table[destination][state] = table[destination].get(state, 0) + 1
    return dict(table)


def render(result: dict[str, Any]) -> str:
    lines = [
        "",
        "== Simulation report ==",
        f"installs sent {result['installs_sent']}  accepted {result['installs_accepted']}  "
        f"stored {result['installs_stored']}  attributed {result['installs_attributed']}  "
        f"paid {result['paid_installs']}",
        f"reinstalls sent {result['reinstalls_sent']}  detected {result['reinstalls_detected']}",
        f"sending took {result['send_seconds']} s, draining {result['drain_seconds']} s"
        + _drain_note(result),
        "",
        "Installs by source and campaign:",
    ]
    lines += [
        f"  {r['installs']:>6}  {r['type']:<10} {r['source']:<28} {r['campaign']}"
        for r in result["by_source"]
    ]
    lines += ["", "Match rate per tier (journey kind: expected campaign, or organic):"]
    lines += [
        f"  {r['kind']:<20} {TIERS.get(r['kind'], ''):<22} {r['matched']:>5}/{r['sent']:<5}"
        f" {_pct(r['rate'])} (at least {_pct(r['expected_rate'])})  via {r['via']}"
        for r in result["match_by_kind"]
    ]
    lat = result["latency_seconds"]
    lines += [
        "",
        "End-to-end latency, init sent -> attributed (s): "
        + "  ".join(f"{k} {v}" for k, v in lat.items()),
        f"Installs attributed per second (first sent -> last attributed): "
        f"{result['attributed_per_second']}",
        "",
        "Events sent / stored: "
        + "  ".join(f"{k} {v['sent']}/{v['stored']}" for k, v in result["events"].items()),
        "",
        "Postbacks by destination (delivery states):",
    ]
    lines += [f"  {d:<20} {states}" for d, states in sorted(result["postbacks"].items())] or [
        "  none"
    ]
    lines.append(f"  received by the local fakes: {result['postbacks_received_by_fakes']}")
    lines += [
        "",
        "Postbacks by destination and event kind (delivered, +skipped: the user is another"
        " network's; !other states; * expected):",
    ]
    lines += _postback_table(result) or ["  none"]
    lines += ["", "Requests (final answers): " + str(result["requests"])]
    failures = result["not_2xx"]
    lines.append(f"Requests not answered 2xx: {len(failures)}")
    lines += [
        f"  {f['request']} -> {f['status'] or f['error']}{' (retried)' if f['retried'] else ''}"
        f" {f['body'][:160]}"
        for f in failures[:50]
    ]
    if len(failures) > 50:
        lines.append(f"  ... and {len(failures) - 50} more")
    if result["findings"]:
        lines += ["", "Findings:"] + [f"  {k}: {v}" for k, v in result["findings"].items()]
    found = problems(result)
    if found:
        lines += ["", "Result: FAIL"] + [f"  {reason}" for reason in found]
    else:
        lines += [
            "",
            "Result: PASS (installs stored == sent, every request answered 2xx, paid installs "
            "name their campaign, match rates at their floors, every expected postback kind "
            "delivered, none off the machine)",
        ]
    return "\n".join(lines)


def _postback_table(result: dict[str, Any]) -> list[str]:
    made, wanted = result["postbacks_by_kind"], result["postbacks_expected"]
    lines = []
    for destination in sorted(set(made) | set(wanted)):
        cells = []
        for kind in deliveries.KINDS:
            states = dict(made.get(destination, {}).get(kind, {}))
            cell = f"{kind} {states.pop(Delivery.State.DELIVERED, 0)}"
            cell += f" +{states.pop(Delivery.State.SKIPPED, 0)}"
            if states:
                cell += f" !{sum(states.values())}"
            cells.append(cell + ("*" if kind in wanted.get(destination, []) else ""))
        lines.append((f"  {destination:<12} " + "  ".join(f"{c:<20}" for c in cells)).rstrip())
    return lines


def _drain_note(result: dict[str, Any]) -> str:
    if result["drain_stalled"]:
        return f"  (gave up: {result['open_deliveries']} postback deliveries stopped moving)"
    if result["drain_timed_out"]:
        return f"  (TIMED OUT with {result['open_deliveries']} deliveries or events open)"
    return ""


def _pct(rate: float | None) -> str:
    return "  n/a" if rate is None else f"{rate * 100:5.1f}%"
