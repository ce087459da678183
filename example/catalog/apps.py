"""The Django app of the catalog: label ``product``, models from the running release."""

from django.apps import AppConfig


class ProductConfig(AppConfig):
    """The product app; its models module loads the release chosen by ``ZDT_RELEASE``."""

    name = "catalog"
    label = "product"
    verbose_name = "Product catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Load the Celery app so tasks enqueued by this process reach the broker."""
        from catalog import celery  # noqa: F401
