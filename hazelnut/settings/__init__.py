"""Django settings, assembled from one module per topic.

Production and the embedded default differ only in the URLs read here: `services` decides, per
service, whether to use the configured one or the embedded stand-in.
"""

from hazelnut.settings.api import *  # noqa: F403
from hazelnut.settings.celery import *  # noqa: F403
from hazelnut.settings.core import *  # noqa: F403
from hazelnut.settings.database import *  # noqa: F403
from hazelnut.settings.domain import *  # noqa: F403
from hazelnut.settings.observability import *  # noqa: F403
from hazelnut.settings.services import *  # noqa: F403
