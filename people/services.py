"""Writes to people and logins."""

from django.contrib.auth import get_user_model
from django.db import transaction


@transaction.atomic
def ensure_superuser(*, username, password):
    """Creates the superuser if missing; never touches an existing one. Returns True if created."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        return False
    User.objects.create_superuser(username=username, email="", password=password)
    return True
