from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from recognizer.models import ApiToken
from recognizer.tokens import api_token_create


class Command(BaseCommand):
    help = (
        "Print a usable API key for USERNAME (for `Authorization: Token <key>`). Keys are "
        "stored hashed, so this makes a new one, and any old key stops working."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Replace the user's key on purpose (the same as without it, but said so).",
        )

    def handle(self, *args, username: str, rotate: bool, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        had_key = ApiToken.objects.filter(user=user).exists()
        key = api_token_create(user=user)
        # The key alone on stdout, so that $(manage.py api_token ada) is the key.
        self.stdout.write(key)
        if options["verbosity"] == 0:
            return
        if rotate and had_key:
            note = f"Rotated {username}'s API key; the old one no longer works."
        elif had_key:
            note = (
                f"{username}'s old API key is stored only as a hash and cannot be shown, so "
                "this is a new one; the old one no longer works."
            )
        else:
            note = f"Made an API key for {username}."
        self.stderr.write(f"{note} It is shown only this once.")
