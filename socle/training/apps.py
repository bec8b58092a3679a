from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "socle.training"
    label = "training"
    verbose_name = "Formation et conduite du changement"
