from django.apps import AppConfig


class AttributionConfig(AppConfig):
    name = "attribution"
    verbose_name = "Attribution"

    def ready(self) -> None:
        # The event tasks live in attribution.events (celery autodiscovery reads only
        # attribution.tasks), and events parked on an install are adopted when it is attributed.
        from attribution import api
        from attribution.events import adopt
        from attribution.events import tasks as event_tasks  # noqa: F401  (registers the tasks)

        api.install_attributed.connect(adopt.on_install_attributed, dispatch_uid="events.adopt")
