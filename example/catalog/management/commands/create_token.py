"""``manage.py create_token``: create an API token and print it once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalog.tokens.services import token_create


class Command(BaseCommand):
    help = "Create a bearer token for mutations and print it (the only time it is shown)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default="cli", help="A label for the token.")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        self.stdout.write(token_create(name=name))
