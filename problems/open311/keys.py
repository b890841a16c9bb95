"""The api_key of POST requests is a RiverWatch API token (knox), issued on the 访问令牌 page
(/accounts/tokens/): checked exactly as the API checks `Authorization: Token …`, by
people.authentication (its shape first, then knox: the hash, the expiry, an active login)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed

from people.authentication import TokenAuthentication

from .errors import forbidden


def user_for_key(key: str, *, in_address: bool = False):
    """The login the key belongs to, or a 403 saying what is wrong."""
    if not key:
        if in_address:
            raise forbidden(_("api_key 须放在表单正文里（application/x-www-form-urlencoded），不要放在地址里：地址会被记入日志。"))
        raise forbidden(_("缺少 api_key：请在表单里附上你的访问令牌（登录后在“访问令牌”页面签发）。"))
    try:
        user, _token = TokenAuthentication().authenticate_credentials(key.encode("utf-8", errors="replace"))
    except AuthenticationFailed:
        raise forbidden(_("api_key 无效、已过期或已撤销，无法创建问题。请在“访问令牌”页面重新签发。")) from None
    return user
