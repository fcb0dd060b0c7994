"""Which install an event belongs to, and the campaign it inherits from it.

An event names its install by install_instance_id (SDK) or only by user id (server to server,
through the signed-up user). While the install's attribution is unfinished the event keeps no
campaign; `adopt` hands the campaign over when the install finishes.
"""

from __future__ import annotations

from attribution.models import Install, UserIdentity


def install_for(project_id: int, instance_id: str | None, user_id: str | None) -> Install | None:
    if instance_id:
        install = Install.objects.filter(
            project_id=project_id, install_instance_id=instance_id
        ).first()
        if install is not None:
            return install
    if user_id:
        identity = (
            UserIdentity.objects.select_related("install")
            .filter(project_id=project_id, user_id=user_id)
            .first()
        )
        if identity is not None:
            return identity.install
    return None


def campaign_of(install: Install | None) -> int | None:
    if install is None or install.status != Install.Status.ATTRIBUTED:
        return None
    return install.campaign_id


def is_final(install: Install | None) -> bool:
    return install is not None and install.status == Install.Status.ATTRIBUTED


def must_wait(install: Install | None, instance_id: str | None) -> bool:
    """Whether an event waits for its install: known but unfinished, or not created yet."""
    if install is None:
        return bool(instance_id)
    return not is_final(install)
