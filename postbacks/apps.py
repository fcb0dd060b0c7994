from django.apps import AppConfig


class PostbacksConfig(AppConfig):
    name = "postbacks"
