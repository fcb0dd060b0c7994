from django.apps import AppConfig


class PostbacksConfig(AppConfig):
    name = "postbacks"
    verbose_name = "Postbacks"

    def ready(self) -> None:
        from postbacks import verdict
        from postbacks.networks import CLIENTS

        for client in CLIENTS.values():
            verdict.register(client.destination, client.classify)
