from urllib.parse import urlencode

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import selectors, services
from .identity import id_tail_of, masked_id
from .models import ChiefAssignment, Person, Role, Team, User


@admin.register(User)
class RiverWatchUserAdmin(UserAdmin):
    """Every staff login is office staff (selectors.is_office_staff): who is staff or superuser, and
    what groups and permissions a login has, only a superuser decides. A clerk with the user
    permissions manages the other logins (names, passwords, active); their own account too, but not
    its privileges. Other staff logins and superusers are read-only to them, passwords included, so
    a clerk cannot take over an account that can do more."""

    PRIVILEGE_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("login_lock")
        if not request.user.is_superuser:
            fields += self.PRIVILEGE_FIELDS  # on the add page as well as the change page
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append((_("登录锁定"), {
                "fields": ["login_lock"],
                "description": _("连续输错密码太多次，这个用户名会被暂时锁定。删除它的登录失败记录即可立即解锁。"),
            }))
        return fieldsets

    def _out_of_reach(self, request, obj):
        # Office staff are is_staff logins and also logins whose person's role is 工作人员: both read
        # and review everything, so a clerk may not take either over.
        return (
            obj is not None
            and not request.user.is_superuser
            and (obj.is_superuser or (selectors.is_office_staff(obj) and obj.pk != request.user.pk))
        )

    def has_change_permission(self, request, obj=None):
        # Also guards the password page (UserAdmin.user_change_password asks this).
        return not self._out_of_reach(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._out_of_reach(request, obj) and super().has_delete_permission(request, obj)

    @admin.display(description=_("登录锁定"))
    def login_lock(self, user):
        attempts = AccessAttempt.objects.filter(username=user.get_username())
        cool_off = get_cool_off()
        if cool_off:
            attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
        failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        if not failures:
            return _("未锁定")
        url = reverse("admin:axes_accessattempt_changelist") + "?" + urlencode({"username": user.get_username()})
        if failures >= settings.AXES_FAILURE_LIMIT:
            text = _("已锁定：%(failures)s 次登录失败") % {"failures": failures}
        else:
            text = _("未锁定：%(failures)s 次登录失败") % {"failures": failures}
        return format_html('{} — <a href="{}">{}</a>', text, url, _("查看或删除登录失败记录"))


class ChiefAssignmentForm(forms.ModelForm):
    class Meta:
        model = ChiefAssignment
        fields = ["person", "waterway", "level", "since", "until"]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            # Said here in words; the database constraint alone would only name itself.
            self.add_error("until", _("任职止不能早于任职起。"))
        return data


class ChiefAssignmentInline(admin.TabularInline):
    model = ChiefAssignment
    form = ChiefAssignmentForm
    fields = ["waterway", "level", "since", "until"]
    autocomplete_fields = ["waterway"]
    extra = 0


class WriteOnlyInput(forms.TextInput):
    """A text box that never puts its value back in the page: a refused form comes back with it empty."""

    def format_value(self, value):
        return None


class PersonForm(forms.ModelForm):
    # Write-only: the whole number is checked here and only its last four characters are kept (id_tail).
    # It is never shown again, not even to the staff member who typed it, nor when the form is refused.
    id_number = forms.CharField(
        label=_("证件号码"), required=False, max_length=40, strip=True,
        widget=WriteOnlyInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("输入完整号码以核验，只保存后四位，完整号码不保存。留空则保留已保存的后四位。"),
    )

    class Meta:
        model = Person
        fields = "__all__"

    def clean(self):
        data = super().clean()
        problems = services.person_problems(
            role=data.get("role"), level=data.get("level", ""), town=data.get("town"), village=data.get("village")
        )
        for field, message in problems.items():
            if field not in self.errors:
                self.add_error(field, message)
        self._clean_id_number(data)
        return data

    def _clean_id_number(self, data):
        """Sets the instance's id_tail from the typed number: a new number, a new type, or neither."""
        if "id_type" not in data:
            return
        id_type, number = data["id_type"], data.get("id_number", "")
        if not id_type:
            if number:
                self.add_error("id_type", _("请选择证件类型。"))
            self.instance.id_tail = ""
            return
        if number:
            try:
                self.instance.id_tail = id_tail_of(id_type, number)
            except ValidationError as error:
                self.add_error("id_number", error)
        elif not self.instance.id_tail or id_type != self.initial.get("id_type"):
            # The stored four characters were checked as another type's (or there are none).
            self.add_error("id_number", _("请输入完整的证件号码（只保存后四位）。"))


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    form = PersonForm
    list_display = ["name", "role", "level", "town", "village", "team_count", "has_login", "is_active"]
    list_filter = ["role", "level", "is_active", "town", "teams", ("user", admin.EmptyFieldListFilter)]
    search_fields = ["name", "phone"]
    list_select_related = ["town", "village"]
    autocomplete_fields = ["town", "village", "user"]
    readonly_fields = ["team_names", "led_team_names", "stored_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "phone", "role", "level", "is_active"]}),
        (_("所在地"), {"fields": ["town", "village"], "description": _("只选村时，乡镇自动填上。")}),
        (_("账号与队伍"), {"fields": ["user", "team_names", "led_team_names"]}),
        (_("志愿服务证明"), {
            "fields": ["id_type", "id_number", "stored_id", "volunteer_number", "board_initials_only"],
            "description": _("出具志愿服务证明时打印证件类型、证件号码（隐去前面各位，只显示后四位）和志愿者编号。"),
        }),
        (_("其他"), {"fields": ["note", "created_at", "updated_at"]}),
    ]
    inlines = [ChiefAssignmentInline]
    actions = ["anonymise_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(team_count=Count("teams", distinct=True))

    # The staff role and the link to a login decide who reads and reviews everything: only a
    # superuser grants them, whatever model permissions a clerk has.
    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("user")
            if obj is not None and obj.role == Role.STAFF:
                fields += ["role", "level"]
        return fields

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        field = super().formfield_for_choice_field(db_field, request, **kwargs)
        if db_field.name == "role" and not request.user.is_superuser:
            field.choices = [choice for choice in field.choices if choice[0] != Role.STAFF]
        return field

    @admin.display(description=_("队伍数"), ordering="team_count")
    def team_count(self, person):
        return person.team_count

    @admin.display(description=_("有登录账号"), boolean=True, ordering="user")
    def has_login(self, person):
        return person.user_id is not None

    @admin.display(description=_("已保存的证件号码"))
    def stored_id(self, person):
        return masked_id(person.id_type, person.id_tail) or "—"

    @admin.display(description=_("所在队伍"))
    def team_names(self, person):
        return "、".join(team.name for team in person.teams.all()) or "—"

    @admin.display(description=_("带领队伍"))
    def led_team_names(self, person):
        return "、".join(team.name for team in person.led_teams.all()) or "—"

    def save_model(self, request, obj, form, change):
        services.save_person(person=obj)

    def _why_not_anonymise(self, request, person):
        if services.is_anonymised(person):
            return _("已经注销过了")
        if person.user_id is not None and person.user_id == request.user.pk:
            return _("不能注销您自己的人员档案")
        # As with logins (RiverWatchUserAdmin): office staff are a superuser's to remove.
        user = person.user
        if not request.user.is_superuser and (
            person.role == Role.STAFF or (user is not None and (user.is_staff or user.is_superuser))
        ):
            return _("工作人员的档案只有超级用户可以注销")
        return None

    @admin.action(description=_("注销并匿名化（人员离开）"), permissions=["delete"])
    def anonymise_selected(self, request, queryset):
        """China's Personal Information Protection Law: a person who leaves is anonymised, not
        deleted (services.anonymise_person says what goes and what stays). Asks first."""
        people = list(
            queryset.select_related("user").annotate(
                service_record_count=Count("service_records", distinct=True),
                post_count=Count("chief_assignments", distinct=True),
            ).order_by("pk")
        )
        reasons = [(person, self._why_not_anonymise(request, person)) for person in people]
        refused = [(person, reason) for person, reason in reasons if reason]
        allowed = [person for person, reason in reasons if not reason]
        if request.POST.get("post") == "yes" and allowed:
            done = []
            for person in allowed:
                summary = services.anonymise_person(person=person, by=request.user)
                self.log_change(request, summary.person, summary.note)
                done.append(str(summary.person))
            self.message_user(request, _("已注销并匿名化 %(n)d 名人员：%(names)s") % {"n": len(done), "names": _("、").join(done)},
                              messages.SUCCESS)
            for person, reason in refused:
                self.message_user(request, _("未注销 %(name)s：%(reason)s") % {"name": person.name, "reason": reason},
                                  messages.WARNING)
            return None
        return TemplateResponse(request, "people/admin/anonymise_confirmation.html", {
            **self.admin_site.each_context(request),
            "title": _("注销并匿名化人员"),
            "subtitle": None,
            "opts": self.model._meta,
            "people": allowed,
            "refused": refused,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        })


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = "__all__"

    def clean(self):
        data = super().clean()
        problems = services.team_problems(members=data.get("members") or [], leaders=data.get("leaders") or [])
        for field, message in problems.items():
            self.add_error(field, message)
        return data


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamForm
    list_display = ["name", "kind", "town", "village", "member_count", "leader_names"]
    list_filter = ["kind", "town"]
    search_fields = ["name"]
    list_select_related = ["town", "village"]
    autocomplete_fields = ["town", "village", "members", "leaders"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request)
            .annotate(member_count=Count("members", distinct=True))
            .prefetch_related("leaders")
        )

    @admin.display(description=_("成员数"), ordering="member_count")
    def member_count(self, team):
        return team.member_count

    @admin.display(description=_("队长"))
    def leader_names(self, team):
        return "、".join(person.name for person in team.leaders.all()) or "—"

    def save_related(self, request, form, formsets, change):
        # Members and leaders go through the service, which holds the "leaders are members" rule.
        services.set_team_people(
            team=form.instance, members=form.cleaned_data["members"], leaders=form.cleaned_data["leaders"]
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class CurrentAssignmentFilter(admin.SimpleListFilter):
    title = _("任职状态")
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", _("在任")), ("no", _("已卸任或未到任"))]

    def queryset(self, request, queryset):
        current = selectors.assignments_on(timezone.localdate()).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=current)
        if self.value() == "no":
            return queryset.filter(~Q(pk__in=current))
        return queryset


@admin.register(ChiefAssignment)
class ChiefAssignmentAdmin(admin.ModelAdmin):
    form = ChiefAssignmentForm
    list_display = ["person", "waterway", "level", "since", "until"]
    list_filter = [CurrentAssignmentFilter, "level", "waterway"]
    search_fields = ["person__name", "waterway__name", "waterway__code"]
    list_select_related = ["person", "waterway"]
    autocomplete_fields = ["person", "waterway"]
    date_hierarchy = "since"
