from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "backbone.public"
    label = "public"
    verbose_name = "Public dashboard"
