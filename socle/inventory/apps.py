from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "socle.inventory"
    label = "inventory"
    verbose_name = "Inventaire et licences"
