from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "portal.runs"
    label = "runs"
    verbose_name = "Runs"
