from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from analytics.platforms import PLATFORMS
        from postbacks import api as postbacks

        for platform in PLATFORMS.values():
            postbacks.register_classifier(platform.code, platform.classify)
