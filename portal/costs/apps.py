from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "portal.costs"
    label = "costs"
    verbose_name = "Cost estimates"
