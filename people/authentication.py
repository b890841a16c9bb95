"""API tokens (django-rest-knox), refusing what could not be a token before it reaches the database:
a header with a byte that is not UTF-8 (knox would fail decoding it) or a NUL (PostgreSQL would fail
storing it in a query) is an invalid token, 401 with WWW-Authenticate, like any other."""

import re

from django.utils.translation import gettext as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from knox.settings import knox_settings
from rest_framework.exceptions import AuthenticationFailed


def token_shape():
    """What knox issues: a prefix of printable ASCII (at most 10 characters, knox's limit; any, so
    tokens issued before a change of TOKEN_PREFIX keep working), then hex characters."""
    return re.compile("[!-~]{0,10}[0-9a-f]{%d}" % knox_settings.AUTH_TOKEN_CHARACTER_LENGTH)


class TokenAuthentication(auth.TokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        text = token.decode("ascii", errors="replace")
        if not token_shape().fullmatch(text):
            raise AuthenticationFailed(_("令牌无效：不是本系统发放的令牌。请重新登录获取。"))
        return super().authenticate_credentials(token)


class TokenScheme(KnoxTokenScheme):
    """The schema's security scheme for this class, as drf-spectacular gives knox's (`Authorization: Token …`)."""

    target_class = TokenAuthentication
