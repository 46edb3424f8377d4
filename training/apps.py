from django.apps import AppConfig


class TrainingConfig(AppConfig):
    """MNIST loading, the network, training and evaluation, and their commands."""

    name = "training"
    verbose_name = "MNIST training"
