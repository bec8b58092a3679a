from django.apps import AppConfig


class ExampleConfig(AppConfig):
    name = "tests.example_module"
    label = "example"
    verbose_name = "Module d'exemple"
