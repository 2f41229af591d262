from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "portal.requests"
    label = "requests"
    verbose_name = "Environment requests"
