"""Pages about one's own login: the API tokens one's scripts use, and whether public boards show one's
full name. (Changing one's password: Django's PasswordChangeView, see riverwatch/urls.py.)"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def api_tokens(request):
    """The signed-in user's tokens that still work, each with a revoke button, and one to revoke them all."""
    issued = None
    status = 200
    if request.method == "POST" and "issue" in request.POST:
        # A token outlives the session and a logout: as at /api/auth/token/, the password is asked for,
        # through authenticate(), so django-axes counts a wrong one and locks out as it does there.
        password = request.POST.get("password", "")
        if authenticate(request=request, username=request.user.get_username(), password=password) is None:
            status = 400
            messages.error(request, _("尝试次数过多，请稍后再试。") if getattr(request, "axes_locked_out", False)
                           else _("密码不正确，没有生成令牌。"))
        else:
            # Shown once, on this answer only (never stored in the session nor cached): no redirect.
            _instance, issued = services.issue_token(user=request.user)
    elif request.method == "POST":
        if "revoke_all" in request.POST:
            count = services.revoke_all_tokens(user=request.user)
            messages.success(request, _("已撤销全部令牌（%(count)s 个）。用过它们的脚本需要重新获取令牌。") % {"count": count})
        else:
            token = services.revoke_token(user=request.user, token_id=request.POST.get("token", ""))
            if token is None:
                messages.warning(request, _("没有这个令牌（可能已过期或已撤销）。"))
            else:
                messages.success(request, _("已撤销以 %(prefix)s 开头的令牌。用它的脚本需要重新获取令牌。") % {
                    "prefix": selectors.key_prefix(token)})
        return redirect("account-tokens")
    tokens = [{"id": token.digest, "prefix": selectors.key_prefix(token), "created": token.created, "expiry": token.expiry}
              for token in selectors.active_tokens(request.user)]
    response = render(request, "people/tokens.html", {
        "tokens": tokens, "ttl_days": settings.API_TOKEN_TTL_DAYS, "token_url": reverse("api-token"),
        "issued": issued, "ogc_url": request.build_absolute_uri(reverse("ogc-landing")),
    }, status=status)
    if issued:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def board_preference(request):
    """One's own choice whether public boards show one's full name or only initials (the profile's
    small form, certificates' card on /people/<id>/). Nobody else's: the person is the signed-in one."""
    person = selectors.person_of(request.user)
    if person is None:
        raise Http404(_("您的账号还没有关联人员档案，请联系河长办工作人员。"))
    initials_only = request.POST.get("board_initials_only") == "on"
    services.set_board_initials_only(person=person, initials_only=initials_only)
    messages.success(request, _("已保存：公开榜单上只显示您的姓名首字母。") if initials_only
                     else _("已保存：公开榜单上显示您的全名。"))
    return redirect("person-history", pk=person.pk)
