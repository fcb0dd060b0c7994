"""The body of every route, declared once (validation and OpenAPI both read these).

Field names stay as the SDKs send them. Limits on string lengths follow the columns they end up
in; free-form objects (device_data, event_data) are kept as sent.
"""

from __future__ import annotations

from attribution.models.event import PaymentStatus, PaymentType
from ingest.fields import (
    Amount,
    Boolean,
    Choice,
    Currency,
    EventData,
    Number,
    Object,
    Schema,
    Text,
    TextList,
)

INSTANCE_ID = Text("install_instance_id", required=True, max_length=64, allow_blank=False)
OPTIONAL_INSTANCE_ID = Text("install_instance_id", max_length=64)
TOKEN = Text("token", required=True, max_length=64, allow_blank=False)
PLATFORM = Text("platform", max_length=32)
DEVICE_DATA = Object("device_data", help="Free-form device facts; stored as sent.")
SINCE_INSTALL = Number("time_since_app_install", help="Seconds since the first SDK init.")
EVENT_DATA = EventData("event_data")
USER_ID = Text("user_id", max_length=200)
PAYMENT_ID = Text("payment_id", max_length=200)
PAYMENT_TYPE = Choice(
    "type",
    max_length=32,
    choices=tuple(PaymentType.values),
    default=PaymentType.DEFAULT,
)
PAYMENT_STATUS = Choice(
    "status",
    max_length=32,
    choices=tuple(PaymentStatus.values),
    default=PaymentStatus.PAYMENT_COMPLETED,
)
EVENT_NAME = Text("event_name", required=True, max_length=500, allow_blank=False, nfc=True)
EVENT_ID = Text("event_id", max_length=200, accept_number=True)
CURRENCY = Currency("currency", help="ISO 4217, any case; USD when absent.")
AMOUNT = Amount("amount", required=True)


def WEB_URL(name: str) -> Text:
    return Text(
        name, max_length=1000, pattern=r"https?://\S+", pattern_help="must be an http(s) URL"
    )


INIT = Schema(
    "SdkInit",
    (
        TOKEN,
        Text("package_version", max_length=64),
        Text("app_version", max_length=64),
        Object("device_data", required=True),
        Text("platform", required=True, max_length=32, allow_blank=False),
        Text("source", max_length=32),
        INSTANCE_ID,
        Boolean("debug"),
        Text("link", max_length=2000),
    ),
)

TRIGGER = Schema(
    "SdkSignup",
    (
        TOKEN,
        Object("user_data", required=True, help="The user; `id` is required."),
        PLATFORM,
        OPTIONAL_INSTANCE_ID,
        Object("data"),
        SINCE_INSTALL,
        Text("event", max_length=32),
    ),
)

SET_USER_DATA = Schema(
    "SdkSetUserData",
    (TOKEN, Object("user_data", required=True), DEVICE_DATA, OPTIONAL_INSTANCE_ID, PLATFORM),
)

CAPTURE_EVENT = Schema(
    "SdkCaptureEvent",
    (
        TOKEN,
        EVENT_NAME,
        EVENT_DATA,
        DEVICE_DATA,
        OPTIONAL_INSTANCE_ID,
        PLATFORM,
        SINCE_INSTALL,
        EVENT_ID,
        USER_ID,
    ),
)

CAPTURE_PAYMENT = Schema(
    "SdkCapturePayment",
    (
        TOKEN,
        USER_ID,
        PAYMENT_ID,
        AMOUNT,
        CURRENCY,
        PAYMENT_TYPE,
        PAYMENT_STATUS,
        EVENT_DATA,
        PLATFORM,
        OPTIONAL_INSTANCE_ID,
        SINCE_INSTALL,
        Object("data", help="`{device_data: {...}}`"),
    ),
    defaults={"type": PaymentType.DEFAULT, "status": PaymentStatus.PAYMENT_COMPLETED},
)

REMOVE_PAYMENT = Schema(
    "SdkRemovePayment",
    (TOKEN, USER_ID, PAYMENT_ID, PLATFORM, OPTIONAL_INSTANCE_ID, Object("data")),
)

ATTRIBUTION_DATA = Schema(
    "SdkAttributionData",
    (
        TOKEN,
        PLATFORM,
        INSTANCE_ID,
        DEVICE_DATA,
        Boolean("debug"),
        Text("package_version", max_length=64),
        Text("app_version", max_length=64),
    ),
)

HANDLE_DEEPLINK = Schema(
    "SdkHandleDeeplink",
    (
        TOKEN,
        PLATFORM,
        INSTANCE_ID,
        Text("deeplink_url", required=True, max_length=4000, allow_blank=False),
        DEVICE_DATA,
        Number("timestamp", integer=True, help="Client time, ms since the epoch."),
    ),
)

INTEGRATIONS = Schema(
    "SdkIntegrations",
    (TOKEN, INSTANCE_ID, PLATFORM, Object("integration_info", required=True)),
)

PUSH_TOKEN = Schema(
    "SdkPushToken",
    (TOKEN, Text("push_token", required=True, max_length=4096), PLATFORM, INSTANCE_ID),
)

CUSTOMER_USER_ID = Schema(
    "SdkCustomerUserId",
    (TOKEN, Text("user_id", required=True, max_length=200), PLATFORM, INSTANCE_ID),
)

DEEPLINK_TRIGGERED = Schema(
    "SdkDeeplinkTriggered", (TOKEN, DEVICE_DATA, OPTIONAL_INSTANCE_ID, PLATFORM)
)

SERVER_EVENT = Schema(
    "ServerCaptureEvent",
    (EVENT_NAME, EVENT_DATA, Text("user_id", required=True, max_length=200), EVENT_ID),
)

SERVER_PAYMENT = Schema(
    "ServerCapturePayment",
    (
        Text("user_id", required=True, max_length=200),
        PAYMENT_ID,
        AMOUNT,
        CURRENCY,
        PAYMENT_TYPE,
        PAYMENT_STATUS,
        EVENT_DATA,
    ),
    defaults={"type": PaymentType.DEFAULT, "status": PaymentStatus.PAYMENT_COMPLETED},
)

SERVER_REMOVE_PAYMENT = Schema("ServerRemovePayment", (USER_ID, PAYMENT_ID))

CREATE_CAMPAIGN = Schema(
    "ServerCreateCampaign",
    (
        Text("name", required=True, max_length=200, allow_blank=False),
        Text("deeplink", max_length=1000),
        WEB_URL("link_for_desktop_users"),
        WEB_URL("android_web_redirect"),
        WEB_URL("ios_web_redirect"),
        Text(
            "custom_display_id",
            max_length=64,
            pattern=r"[A-Za-z0-9_-]+",
            pattern_help="may hold only letters, digits, '-' and '_'",
        ),
        Boolean("is_shortlink"),
        Text("domain", max_length=253),
        TextList("store_listing_ids", help="Store listing ids, at most one per platform."),
    ),
)

UPDATE_CAMPAIGN = Schema(
    "ServerUpdateCampaign",
    (Text("name", max_length=200, allow_blank=False), Boolean("active")),
)
