"""API tokens (django-rest-knox), refusing what could not be a token before it reaches the database:
a header with a byte that is not UTF-8 (knox would fail decoding it) or a NUL (PostgreSQL would fail
storing it in a query) is an invalid token, 401 with WWW-Authenticate, like any other."""

import functools
import re

from django.utils.translation import gettext as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from knox.settings import knox_settings
from rest_framework.exceptions import AuthenticationFailed


@functools.cache
def token_shape(hex_length: int):
    """What knox issues: a prefix of printable ASCII (at most 10 characters, knox's limit; any, so
    tokens issued before a change of TOKEN_PREFIX keep working), then `hex_length` hex characters.
    Compiled once per length (knox reads its settings anew when they change, so the length is passed)."""
    return re.compile("[!-~]{0,10}[0-9a-f]{%d}" % hex_length)


class TokenAuthentication(auth.TokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        text = token.decode("ascii", errors="replace")
        if not token_shape(knox_settings.AUTH_TOKEN_CHARACTER_LENGTH).fullmatch(text):
            raise AuthenticationFailed(_("令牌无效：不是本系统发放的令牌。请重新登录获取。"))
        return super().authenticate_credentials(token)


class TokenScheme(KnoxTokenScheme):
    """The schema's security scheme for this class, as drf-spectacular gives knox's (`Authorization: Token …`)."""

    target_class = TokenAuthentication
