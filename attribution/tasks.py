"""The attribution app's Celery tasks: thin wrappers over the pipeline functions (clicks,
pageviews, installs, reinstalls). Producers publish a message's fields as the task's keyword
arguments (ingest.publish), so each task rebuilds the message from its kwargs."""

from __future__ import annotations

from typing import Any, cast

from attribution import clicks, contracts, installs, pageviews, reinstalls
from attribution.contracts import ClickMessage, DeeplinkMessage, InstallMessage
from hazelnut.tasks import task


@task(contracts.RECORD_CLICK)
def record_click(**message: Any) -> None:
    clicks.record_click(cast(ClickMessage, message))


@task(contracts.RECORD_PAGE_VIEW)
def record_page_view(**message: Any) -> None:
    pageviews.record_page_view(message)


# A busy install is retried until its lock can only have expired (LOCK_SECONDS): giving up
# earlier would leave the install unattributed.
@task(
    contracts.ATTRIBUTE_INSTALL,
    retry_on=(installs.InstallBusy,),
    max_retries=20,
    backoff_max_seconds=10,
)
def attribute_install(**message: Any) -> None:
    installs.attribute_install(cast(InstallMessage, message))


@task(installs.RUN_EXTERNAL)
def run_external_strategies(install_id: int, names: list[str]) -> None:
    installs.run_external(install_id, names)


@task(contracts.HANDLE_DEEPLINK)
def handle_deeplink(**message: Any) -> None:
    reinstalls.handle_deeplink(cast(DeeplinkMessage, message))
