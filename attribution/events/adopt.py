"""Events that arrived before their install finished attribution, handed over when it does.

The attribution app sends `install_attributed` once per install after its attribution commits;
the receiver only enqueues `attribution.events.adopt`. Adoption links the waiting events to the
install, gives them its campaign, and sends them on exactly once (the parked flag is cleared by a
conditional update, and the fan-out is idempotent per event and destination). A periodic sweep
catches events parked in the instant between the install finishing and the signal; the same sweep
releases, unattributed, the events whose install never finishes (`orphans`).
"""

from __future__ import annotations

from typing import Any

import structlog
from django.db import transaction

from attribution.events import custom, linking, payments, signup
from attribution.models import CustomEvent, Install, Payment, UserIdentity
from hazelnut.celery import app

log = structlog.get_logger(__name__)

ADOPT = "attribution.events.adopt"
ADOPT_PARKED = "attribution.events.adopt_parked"


def on_install_attributed(sender: Any, attribution: Any, **kwargs: Any) -> None:
    app.send_task(ADOPT, kwargs={"install_id": attribution.install_id})


def adopt(install_id: int) -> int:
    install = Install.objects.filter(pk=install_id).first()
    if install is None or not linking.is_final(install):
        return 0
    adopted = 0
    with transaction.atomic():
        adopted += _payments(install)
        adopted += _custom(install)
        adopted += _signups(install)
    log.info("attribution.events.adopted", install_id=install_id, events=adopted)
    return adopted


def _waiting(model: Any, install: Install) -> list[Any]:
    rows = list(
        model.objects.filter(
            project_id=install.project_id,
            install_instance_id=install.install_instance_id,
            parked=True,
        )
    )
    claimed = []
    for row in rows:
        if model.objects.filter(pk=row.pk, parked=True).update(
            parked=False, install=install, campaign_id=install.campaign_id
        ):
            row.parked, row.install, row.campaign_id = False, install, install.campaign_id
            claimed.append(row)
    return claimed


def _payments(install: Install) -> int:
    rows = _waiting(Payment, install)
    for payment in rows:
        payments._after_store(payment, install)
    return len(rows)


def _custom(install: Install) -> int:
    rows = _waiting(CustomEvent, install)
    for event in rows:
        custom._after_store(event, install)
    return len(rows)


def _signups(install: Install) -> int:
    identities = UserIdentity.objects.filter(
        project_id=install.project_id,
        data__install_instance_id=install.install_instance_id,
        data__parked=True,
    )
    count = 0
    for identity in identities:
        data = {
            k: v for k, v in identity.data.items() if k not in ("parked", "install_instance_id")
        }
        updated = UserIdentity.objects.filter(pk=identity.pk, data__parked=True).update(
            data=data, install=install
        )
        if updated:
            identity.data, identity.install = data, install
            signup.release(identity, install)
            count += 1
    return count


def adopt_parked(limit: int = 500) -> int:
    """Adopt events still parked on installs that have finished (the sweep)."""
    instance_ids = set(
        Payment.objects.filter(parked=True).values_list("project_id", "install_instance_id")[:limit]
    ) | set(
        CustomEvent.objects.filter(parked=True).values_list("project_id", "install_instance_id")[
            :limit
        ]
    )
    done = 0
    for project_id, instance_id in instance_ids:
        install = Install.objects.filter(
            project_id=project_id, install_instance_id=instance_id, status=Install.Status.ATTRIBUTED
        ).first()
        if install is not None:
            done += adopt(install.pk)
    return done
