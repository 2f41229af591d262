from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "portal.runs"
    label = "runs"
    verbose_name = "Runs"

    def ready(self) -> None:
        from portal.environments.services import active_run_lookup_register
        from portal.runs.selectors import environment_active_run

        active_run_lookup_register(environment_active_run)
