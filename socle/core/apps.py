from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "socle.core"
    label = "core"
    verbose_name = "Socle commun"

    def ready(self) -> None:
        # Every app's module.py is read once every app is loaded (as admin.autodiscover).
        from . import checks, modules

        modules.autodiscover()
        checks.register()
