"""SKAdNetwork postbacks as Apple publishes them, with Apple's real signatures.

Taken from Apple's StoreKit documentation ("Verifying an install-validation postback", "Combining
parameters for SKAdNetwork 3 postbacks", "Combining parameters for previous SKAdNetwork postback
versions"); Apple says each signature there verifies against its published P-256 key.
"""

from __future__ import annotations

from typing import Any

V4_WEB_HIGH_TIER: dict[str, Any] = {
    "version": "4.0",
    "ad-network-id": "com.example",
    "source-identifier": "5239",
    "app-id": 525463029,
    "transaction-id": "6aafb7a5-0170-41b5-bbe4-fe71dedf1e30",
    "redownload": False,
    "source-domain": "example.com",
    "fidelity-type": 1,
    "did-win": True,
    "conversion-value": 63,
    "postback-sequence-index": 0,
    "attribution-signature": (
        "MEUCIGRmSMrqedNu6uaHyhVcifs118R5z/AB6cvRaKrRRHWR"
        "AiEAv96ne3dKQ5kJpbsfk4eYiePmrZUU6sQmo+7zfP/1Bxo="
    ),
}
V4_WEB_LOW_TIER: dict[str, Any] = {
    "version": "4.0",
    "ad-network-id": "com.example",
    "source-identifier": "39",
    "app-id": 525463029,
    "transaction-id": "6aafb7a5-0170-41b5-bbe4-fe71dedf1e31",
    "redownload": False,
    "source-domain": "example.com",
    "fidelity-type": 1,
    "did-win": True,
    "coarse-conversion-value": "high",
    "postback-sequence-index": 0,
    "attribution-signature": (
        "MEUCIQD4rX6eh38qEhuUKHdap345UbmlzA7KEZ1bhWZuYM8M"
        "JwIgMnyiiZe6heabDkGwOaKBYrUXQhKtF3P/ERHqkR/XpuA="
    ),
}
V3_WINNER: dict[str, Any] = {
    "version": "3.0",
    "ad-network-id": "example123.skadnetwork",
    "campaign-id": 42,
    "transaction-id": "6aafb7a5-0170-41b5-bbe4-fe71dedf1e28",
    "app-id": 525463029,
    "attribution-signature": (
        "MEYCIQD5eq3AUlamORiGovqFiHWI4RZT/PrM3VEiXUrsC+M5"
        "1wIhAPMANZA9c07raZJ64gVaXhB9+9yZj/X6DcNxONdccQij"
    ),
    "redownload": True,
    "source-app-id": 1234567891,
    "fidelity-type": 1,
    "conversion-value": 20,
    "did-win": True,
}
V3_NOT_WINNER: dict[str, Any] = {
    "version": "3.0",
    "ad-network-id": "example123.skadnetwork",
    "campaign-id": 42,
    "transaction-id": "f9ac267a-a889-44ce-b5f7-0166d11461f0",
    "app-id": 525463029,
    "attribution-signature": (
        "MEUCIQDDetUtkyc/MiQvVJ5I6HIO1E7l598572Wljot2Onzd"
        "4wIgVJLzVcyAV+TXksGNoa0DTMXEPgNPeHCmD4fw1ABXX0g="
    ),
    "redownload": True,
    "fidelity-type": 1,
    "did-win": False,
}
V2_2: dict[str, Any] = {
    "version": "2.2",
    "ad-network-id": "com.example",
    "campaign-id": 42,
    "transaction-id": "6aafb7a5-0170-41b5-bbe4-fe71dedf1e28",
    "app-id": 525463029,
    "attribution-signature": (
        "MEYCIQDTuQ1Z4Tpy9D3aEKbxLl5J5iKiTumcqZikuY/AOD2U"
        "7QIhAJAaiAv89AoquHXJffcieEQXdWHpcV8ZgbKN0EwV9/sY"
    ),
    "redownload": True,
    "source-app-id": 1234567891,
    "fidelity-type": 1,
    "conversion-value": 20,
}

ALL = {
    "4.0-web-high": V4_WEB_HIGH_TIER,
    "4.0-web-low": V4_WEB_LOW_TIER,
    "3.0-winner": V3_WINNER,
    "3.0-not-winner": V3_NOT_WINNER,
    "2.2": V2_2,
}
