"""The attribution app's Celery tasks: thin wrappers over the pipeline functions (clicks,
pageviews, installs, reinstalls, the sweeper). Producers publish a message's fields as the
task's keyword arguments (ingest.publish), so each task rebuilds the message from its kwargs."""

from __future__ import annotations

from typing import Any, cast

from attribution import clicks, contracts, installs, pageviews, reinstalls, sweeper
from attribution.contracts import ClickMessage, DeeplinkMessage, InstallMessage
from attribution.engine import coalescer
from hazelnut.tasks import task


@task(contracts.RECORD_CLICK)
def record_click(**message: Any) -> None:
    clicks.record_click(cast(ClickMessage, message))


@task(contracts.RECORD_PAGE_VIEW)
def record_page_view(**message: Any) -> None:
    pageviews.record_page_view(message)


# A busy install is retried until its lock can only have expired (LOCK_SECONDS): giving up
# earlier would leave the install unattributed. An install waiting for its referrer's click
# stops waiting on its own (HAZELNUT_REFERRER_CLICK_WAIT_SECONDS).
@task(
    contracts.ATTRIBUTE_INSTALL,
    retry_on=installs.RETRY_LATER,
    max_retries=20,
    backoff_max_seconds=10,
)
def attribute_install(**message: Any) -> None:
    # On a thread pool, tasks in flight together are attributed as one micro-batch.
    coalescer.attribute(cast(InstallMessage, message), installs.attribute_install)


# A micro-batch of install messages in one task (the same messages `attribute_install` takes).
@task(
    installs.ATTRIBUTE_BATCH,
    retry_on=installs.RETRY_LATER,
    max_retries=20,
    backoff_max_seconds=10,
)
def attribute_installs(messages: list[dict[str, Any]]) -> None:
    installs.attribute_installs(cast(list[InstallMessage], messages))


@task(installs.RUN_EXTERNAL)
def run_external_strategies(install_id: int, names: list[str]) -> None:
    installs.run_external(install_id, names)


@task(contracts.HANDLE_DEEPLINK)
def handle_deeplink(**message: Any) -> None:
    reinstalls.handle_deeplink(cast(DeeplinkMessage, message))


@task(sweeper.SWEEP)
def sweep() -> None:
    sweeper.sweep()
