from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "portal.requests"
    label = "requests"
    verbose_name = "Environment requests"

    def ready(self) -> None:
        # The apps below tell this one what happened; it moves requests on.
        from portal.environments.progress import progress_register
        from portal.environments.signals import environment_expired
        from portal.requests.selectors import environment_progress_annotate, environment_progress_label
        from portal.requests.services import environment_expired_destroy_request, request_run_ended
        from portal.runs.signals import run_ended

        run_ended.connect(request_run_ended, dispatch_uid="requests.run_ended")
        environment_expired.connect(environment_expired_destroy_request, dispatch_uid="requests.expired")
        progress_register(annotate=environment_progress_annotate, label=environment_progress_label)
