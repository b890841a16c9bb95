from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login. People who take part without logging in come later as Person records;
    the custom model exists from the first migration so that it can grow without a rewrite."""

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
