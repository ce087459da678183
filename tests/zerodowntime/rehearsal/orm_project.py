"""Write a two-app Django project into a git repository, one commit and tag per release.

``v1``: ``library.Book`` (title, pages, a ``legacy`` text column), ``library.Shelf`` (whose
check constraint no generated value meets), and ``members.Member`` with
``members.Loan`` (foreign keys to a member and to a book of the other app). ``v2`` (safe over
v1): a nullable column in each app, and a statement that runs 0.6 s. ``v3`` (unsafe over v2):
``legacy`` leaves the model and is dropped by the same release, while v2's code still reads and
writes it. The settings name the
releases ``ZDT_RELEASES_FROM_GIT = ["v*"]`` and read their database from ``DB_*`` variables.
"""

from __future__ import annotations

from pathlib import Path

from tests.zerodowntime.git_releases.tagged_project import git

SETTINGS = """\
import os

SECRET_KEY = "orm-project-key"
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "zerodowntime.deploy", "library", "members"]
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
ZDT_HEARTBEAT_INTERVAL = 1
"""

_HEADER = "import django.db.models.deletion\nfrom django.db import migrations, models\n\n\n"
_ID = '("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False))'

LIBRARY_0001 = f"""{_HEADER}class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Book",
            fields=[
                {_ID},
                ("title", models.CharField(max_length=100)),
                ("pages", models.IntegerField(default=0)),
                ("legacy", models.TextField(null=True)),
            ],
        ),
        migrations.CreateModel(
            name="Shelf",
            fields=[{_ID}, ("code", models.CharField(max_length=10))],
            options={{
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(code__startswith="S-"), name="shelf_code"
                    )
                ]
            }},
        ),
    ]
"""

MEMBERS_0001 = f"""{_HEADER}class Migration(migrations.Migration):
    initial = True
    dependencies = [("library", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name="Member",
            fields=[
                {_ID},
                ("name", models.CharField(max_length=100)),
                ("active", models.BooleanField(default=True)),
            ],
        ),
        migrations.CreateModel(
            name="Loan",
            fields=[
                {_ID},
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to="members.member"
                    ),
                ),
                (
                    "book",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to="library.book"
                    ),
                ),
            ],
        ),
    ]
"""


def _migration(app: str, previous: str, operation: str) -> str:
    return f'''{_HEADER}class Migration(migrations.Migration):
    dependencies = [("{app}", "{previous}")]
    operations = [
        {operation},
    ]
'''


# Generated codes never start with "S-": no instance of Shelf can be made by model_bakery.
SHELF = """

class Shelf(models.Model):
    code = models.CharField(max_length=10)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(code__startswith="S-"), name="shelf_code")
        ]
"""


def _book(*columns: str) -> str:
    fields = {
        "legacy": "    legacy = models.TextField(null=True)\n",
        "isbn": "    isbn = models.CharField(max_length=20, null=True)\n",
    }
    return (
        "from django.db import models\n\n\nclass Book(models.Model):\n"
        "    title = models.CharField(max_length=100)\n"
        "    pages = models.IntegerField(default=0)\n" + "".join(fields[c] for c in columns) + SHELF
    )


def _members(*columns: str) -> str:
    email = "    email = models.TextField(null=True)\n" if "email" in columns else ""
    return (
        "from django.db import models\n\n\nclass Member(models.Model):\n"
        "    name = models.CharField(max_length=100)\n"
        f"    active = models.BooleanField(default=True)\n{email}\n\n"
        "class Loan(models.Model):\n"
        '    member = models.ForeignKey("members.Member", on_delete=models.CASCADE)\n'
        '    book = models.ForeignKey("library.Book", on_delete=models.CASCADE)\n'
    )


RELEASES: dict[str, dict[str, str]] = {
    "v1": {
        ".gitignore": ".zdt/\n__pycache__/\nreports/\n",
        "pyproject.toml": '[tool.zerodowntime]\ndjango_settings = "site_settings"\n',
        "site_settings.py": SETTINGS,
        "library/__init__.py": "",
        "library/models.py": _book("legacy"),
        "library/migrations/__init__.py": "",
        "library/migrations/0001_initial.py": LIBRARY_0001,
        "members/__init__.py": "",
        "members/models.py": _members(),
        "members/migrations/__init__.py": "",
        "members/migrations/0001_initial.py": MEMBERS_0001,
    },
    "v2": {
        "library/models.py": _book("legacy", "isbn"),
        "library/migrations/0002_book_isbn.py": _migration(
            "library",
            "0001_initial",
            'migrations.AddField("book", "isbn", models.CharField(max_length=20, null=True))',
        ),
        "members/models.py": _members("email"),
        "members/migrations/0002_member_email.py": _migration(
            "members",
            "0001_initial",
            'migrations.AddField("member", "email", models.TextField(null=True)),\n'
            # Long enough for the priority watcher to see it (it polls every 0.1 s).
            '        migrations.RunSQL("SELECT pg_sleep(0.6)", migrations.RunSQL.noop)',
        ),
    },
    "v3": {
        "library/models.py": _book("isbn"),
        "library/migrations/0003_remove_book_legacy.py": _migration(
            "library", "0002_book_isbn", 'migrations.RemoveField("book", "legacy")'
        ),
    },
}


def write_orm_project(root: Path) -> Path:
    """Write, commit and tag each release in order under ``root``; return ``root`` (at v3)."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    for tag, files in RELEASES.items():
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        git(root, "add", "--all")
        git(root, "commit", "--quiet", "-m", f"release {tag}")
        git(root, "tag", tag)
    return root
