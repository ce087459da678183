"""Write a small Django project that is not the catalog: two apps, settings of its own.

Its settings read their own ``DB_*`` variables (not ``DATABASE_URL``), its apps are ``shop``
and ``blog`` with a migration each, and it knows nothing of zerodowntime: adopting the
toolkit is what ``docs/adopting.md`` then does to it.
"""

from __future__ import annotations

from pathlib import Path

FILES = {
    "manage.py": """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
""",
    "mysite/__init__.py": "",
    "mysite/settings.py": """\
import os

SECRET_KEY = "sample-project-key"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "shop", "blog"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["DB_NAME"],
        "USER": os.environ.get("DB_USER", "postgres"),
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),
        "HOST": os.environ.get("DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("DB_PORT", "5432"),
    }
}
""",
    "shop/__init__.py": "",
    "shop/models.py": """\
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=10, decimal_places=2)
""",
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py": """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Product",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
                ("price", models.DecimalField(decimal_places=2, max_digits=10)),
            ],
        ),
    ]
""",
    "blog/__init__.py": "",
    "blog/models.py": """\
from django.db import models


class Post(models.Model):
    title = models.CharField(max_length=200)
    product = models.ForeignKey("shop.Product", null=True, on_delete=models.SET_NULL)
""",
    "blog/migrations/__init__.py": "",
    "blog/migrations/0001_initial.py": """\
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name="Post",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("title", models.CharField(max_length=200)),
                (
                    "product",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="shop.product",
                    ),
                ),
            ],
        ),
    ]
""",
}


def write_sample_project(root: Path) -> Path:
    """Write the project's files under ``root`` and return ``root``."""
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
