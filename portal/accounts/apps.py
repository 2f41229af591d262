from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Teams and roles"

    def ready(self) -> None:
        from portal.accounts import checks  # noqa: F401  (registers the system check)
