from django.apps import AppConfig


class DrConfig(AppConfig):
    """The Django side of DR drills. The runbooks themselves are the pure top-level package
    `drills`; this app is `portal.dr` (label `dr`) so the two names never meet."""

    name = "portal.dr"
    label = "dr"
    verbose_name = "DR drills"

    def ready(self) -> None:
        # The run engine executes kinds it does not know through a registry; this tells it how
        # to execute a drill without the runs app importing this one.
        from portal.dr.execution import register

        register()
