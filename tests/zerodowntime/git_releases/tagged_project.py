"""Write a three-app Django project into a git repository, one commit and tag per release.

``v1``: ``shop`` (a product, and an index built without CONCURRENTLY: unsafe, kept as the
baseline), ``blog`` and ``billing``. ``v2``: a nullable column in ``shop`` and in ``blog`` (safe).
``v3``: code only, no migration. ``v4``: ``billing`` builds an index without CONCURRENTLY (and
ships a factory for its invoices). The settings name the releases ``ZDT_RELEASES_FROM_GIT =
["v*"]`` and read their database from ``DB_*`` variables.

:data:`UNSAFE` is a fifth release that breaks v4's code: it drops ``shop``'s ``sku`` (v4 reads
it), adds a NOT NULL ``rating`` without a database default to ``blog`` (v4 never writes it),
builds an index without CONCURRENTLY, and makes ``billing``'s invoices refuse updates.
:func:`add_broken_ref` commits, beside the releases, code that cannot be imported.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

SETTINGS = """\
import os

SECRET_KEY = "tagged-project-key"
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "zerodowntime.deploy",
    "zerodowntime.checks",
    "shop",
    "blog",
    "billing",
]
DATABASES = {
    "default": {
        "ENGINE": "zerodowntime.db.backends.postgres",
        "NAME": os.environ["DB_NAME"],
        "USER": os.environ.get("DB_USER", "postgres"),
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),
        "HOST": os.environ.get("DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("DB_PORT", "5432"),
    }
}
ZDT_RELEASES_FROM_GIT = ["v*"]
"""


def _model_migration(app: str, model: str, dependencies: str = "[]") -> str:
    return f'''\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = {dependencies}
    operations = [
        migrations.CreateModel(
            name="{model}",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
            ],
        ),
    ]
'''


def _add_field(app: str, previous: str, model: str, column: str) -> str:
    return f'''\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("{app}", "{previous}")]
    operations = [
        migrations.AddField("{model}", "{column}", models.TextField(null=True)),
    ]
'''


def _plain_index(app: str, previous: str, table: str) -> str:
    return f'''\
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("{app}", "{previous}")]
    operations = [
        migrations.RunSQL(
            "CREATE INDEX {table}_name_idx ON {table} (name)",
            "DROP INDEX {table}_name_idx",
        ),
    ]
'''


def _models(model: str, *columns: str) -> str:
    extra = "".join(f"    {c} = models.TextField(null=True)\n" for c in columns)
    return (
        "from django.db import models\n\n\n"
        f"class {model}(models.Model):\n    name = models.CharField(max_length=100)\n{extra}"
    )


RELEASES: dict[str, dict[str, str]] = {
    "v1": {
        ".gitignore": ".zdt/\n__pycache__/\n",
        "manage.py": (
            "import os\nimport sys\n\n"
            'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")\n'
            "from django.core.management import execute_from_command_line\n\n"
            "execute_from_command_line(sys.argv)\n"
        ),
        "pyproject.toml": '[tool.zerodowntime]\ndjango_settings = "site_settings"\n',
        "site_settings.py": SETTINGS,
        "shop/__init__.py": "",
        "shop/models.py": _models("Product"),
        "shop/migrations/__init__.py": "",
        "shop/migrations/0001_initial.py": _model_migration("shop", "Product"),
        "shop/migrations/0002_name_index.py": _plain_index("shop", "0001_initial", "shop_product"),
        "blog/__init__.py": "",
        "blog/models.py": _models("Post"),
        "blog/migrations/__init__.py": "",
        "blog/migrations/0001_initial.py": _model_migration(
            "blog", "Post", '[("shop", "0001_initial")]'
        ),
        "billing/__init__.py": "",
        "billing/models.py": _models("Invoice"),
        "billing/migrations/__init__.py": "",
        "billing/migrations/0001_initial.py": _model_migration("billing", "Invoice"),
    },
    "v2": {
        "shop/models.py": _models("Product", "sku"),
        "shop/migrations/0003_product_sku.py": _add_field(
            "shop", "0002_name_index", "product", "sku"
        ),
        "blog/models.py": _models("Post", "summary"),
        "blog/migrations/0002_post_summary.py": _add_field(
            "blog", "0001_initial", "post", "summary"
        ),
    },
    "v3": {"shop/views.py": "GREETING = 'hello from v3'\n"},
    "v4": {
        "billing/migrations/0002_name_index.py": _plain_index(
            "billing", "0001_initial", "billing_invoice"
        ),
        "billing/factories.py": (
            "from billing.models import Invoice\n\n\n"
            "def invoice():\n"
            '    return Invoice.objects.create(name="factory-made")\n\n\n'
            'CHECK_FACTORIES = {"billing.Invoice": invoice}\n'
        ),
    },
}

_IMMUTABLE_INVOICES = """\
from django.db import migrations

FUNCTION = \"\"\"
CREATE FUNCTION billing_invoice_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'invoice % is immutable', OLD.name;
END $$
\"\"\"


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_name_index")]
    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION billing_invoice_immutable()"),
        migrations.RunSQL(
            "CREATE TRIGGER billing_invoice_immutable BEFORE UPDATE ON billing_invoice"
            " FOR EACH ROW EXECUTE FUNCTION billing_invoice_immutable()",
            "DROP TRIGGER billing_invoice_immutable ON billing_invoice",
        ),
    ]
"""

UNSAFE: dict[str, dict[str, str]] = {
    "v5": {
        "shop/models.py": _models("Product"),
        "shop/migrations/0004_remove_product_sku.py": """\
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0003_product_sku")]
    operations = [migrations.RemoveField("product", "sku")]
""",
        "blog/models.py": _models("Post", "summary")
        + "    rating = models.IntegerField(default=0)\n",
        "blog/migrations/0003_post_rating.py": """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("blog", "0002_post_summary")]
    operations = [migrations.AddField("post", "rating", models.IntegerField(default=0))]
""",
        "blog/migrations/0004_name_index.py": _plain_index("blog", "0003_post_rating", "blog_post"),
        "billing/migrations/0003_immutable_invoices.py": _IMMUTABLE_INVOICES,
    },
}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` as a fixed author and return its output."""
    result = subprocess.run(
        ["git", "-c", "user.name=Tester", "-c", "user.email=tester@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def write_tagged_project(root: Path, releases: dict[str, dict[str, str]] | None = None) -> Path:
    """Write, commit and tag each release (default :data:`RELEASES`) in order; return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    for tag, files in (releases or RELEASES).items():
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        git(root, "add", "--all")
        git(root, "commit", "--quiet", "-m", f"release {tag}")
        git(root, "tag", tag)
    return root


def add_broken_ref(root: Path, tag: str, base: str) -> None:
    """Tag as ``tag`` a commit on ``base`` whose models import a missing module (HEAD stays)."""
    git(root, "checkout", "--quiet", "-b", f"{tag}-branch", base)
    models = root / "shop" / "models.py"
    models.write_text("import a_module_nobody_wrote  # noqa: F401\n" + models.read_text())
    git(root, "commit", "--quiet", "--all", "-m", f"{tag}: shop's models import a missing module")
    git(root, "tag", tag)
    git(root, "checkout", "--quiet", "main")
