from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from recognizer.tokens import api_token_get_or_create


class Command(BaseCommand):
    help = "Print USERNAME's API token (for `Authorization: Token <key>`), creating it if needed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        self.stdout.write(api_token_get_or_create(user=user).key)
