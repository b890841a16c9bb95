"""The office's screens for the points scheme: the rules (a change that would reach back in time is
refused on the form, with the reason: rules.check_change), the one settings row, the catalogue.
Redemptions and the ledger are read here, never written: staff adjust and redeem on the pages
(/points/people/<id>/, /points/redeem/), which go through points.services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patrols.models import KINDS_WITHOUT_SERVICE, Activity
from riverwatch.admin_helpers import ReadOnlyAdmin

from . import rules, services
from .models import Entry, Item, Redemption, Rule, Scheme


def earning_kinds():
    return [(value, label) for value, label in Activity.Kind.choices if value not in KINDS_WITHOUT_SERVICE]


class RuleForm(forms.ModelForm):
    activity_kinds = forms.MultipleChoiceField(
        label=_("适用活动类型"), required=False, widget=forms.CheckboxSelectMultiple, choices=earning_kinds,
        help_text=_("只对这些活动类型计分；都不选：所有计入服务记录的类型。问题类规则不看此项。"),
    )

    class Meta:
        model = Rule
        fields = ["name", "measure", "points_per_unit", "activity_kinds", "cap_per_activity", "cap_per_day",
                  "effective_from", "effective_until", "description"]

    def _post_clean(self):
        stored = Rule.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        super()._post_clean()
        if self.errors:
            return  # the rule is not whole yet: its fields' own errors first
        try:
            rules.check_change(before=stored, after=self.instance, today=timezone.localdate())
        except ValidationError as error:
            self._update_errors(error)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = ["name", "measure", "points_per_unit", "cap_per_activity", "cap_per_day", "effective_from",
                    "effective_until", "in_force"]
    list_filter = ["measure"]
    search_fields = ["name"]

    @admin.display(description=_("今天生效"), boolean=True)
    def in_force(self, rule):
        return rule.in_force_on(timezone.localdate())

    def save_model(self, request, obj, form, change):
        # The form has checked it; the service checks again in the same place as every other writer.
        services.save_rule(rule=obj, by=request.user)

    def has_delete_permission(self, request, obj=None):
        # A rule in force (or ended) is ended, never deleted: what it priced stays explained. Only a
        # rule that has not started yet may go; so no bulk deletion from the list.
        not_started = obj is not None and obj.effective_from > timezone.localdate()
        return not_started and super().has_delete_permission(request, obj)


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "yearly_expiry"]

    def has_add_permission(self, request):
        return not Scheme.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # One row: the list is a detour.
        scheme = Scheme.objects.filter(pk=1).first()
        if scheme is not None and self.has_view_or_change_permission(request, scheme):
            return redirect(reverse("admin:points_scheme_change", args=[scheme.pk]))
        return super().changelist_view(request, extra_context)


class ItemForm(forms.ModelForm):
    """An item's page. The stock is set once, when the item is added; after that redemptions take from
    it while the page is open, so the page never writes back the number it showed: staff type how many
    came in (入库) or went out (出库, e.g. damaged), and that is added to the stock as it is when saved."""

    stock_change = forms.IntegerField(
        label=_("入库（+）或出库（−）件数"), required=False, min_value=-1_000_000, max_value=1_000_000,
        help_text=_("填增加或减少的件数，如 20 或 -2；保存时加到当时的库存上，期间的兑换不受影响。不变则留空。"),
        error_messages={"invalid": _("请填写整数件数，如 20 或 -2。")},
    )

    class Meta:
        model = Item
        fields = ["name", "description", "price", "stock", "is_active"]

    def clean_stock_change(self):
        change = self.cleaned_data.get("stock_change") or 0
        if change < 0 and self.instance.pk is not None:
            # Locked until the admin's transaction ends (changeform_view is atomic): a redemption
            # waits, and cannot take the last ones between this check and the save.
            stock = Item.objects.select_for_update().filter(pk=self.instance.pk).values_list("stock", flat=True).first()
            if stock is not None and stock + change < 0:
                raise ValidationError(_("库存现在只有 %(stock)s 件，不能出库 %(out)s 件。") % {"stock": stock, "out": -change})
        return change


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    form = ItemForm
    list_display = ["name", "price", "stock", "is_active", "description"]
    # Not the stock: a list saved after a redemption would put back what it showed.
    list_editable = ["is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "description", "price", "stock", "is_active"]
        return ["name", "description", "price", "stock", "stock_change", "is_active"]

    def get_readonly_fields(self, request, obj=None):
        return ["stock"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if not change:
            obj.save()
            return
        # Every field but the stock as typed; the stock moved by the typed difference, in SQL.
        obj.save(update_fields=[name for name in ItemForm.Meta.fields if name != "stock"])
        difference = form.cleaned_data.get("stock_change") or 0
        if difference:
            Item.objects.filter(pk=obj.pk).update(stock=F("stock") + difference)
        obj.refresh_from_db(fields=["stock"])


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["at", "person", "item", "quantity", "points", "place", "made_by"]
    list_filter = ["item", "place"]
    search_fields = ["person__name", "person__phone", "place"]
    date_hierarchy = "at"
    list_select_related = ["person", "item", "made_by"]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "person", "amount", "kind", "cause", "reason", "earned_on", "made_by"]
    list_filter = ["kind", "cause", "rule"]
    search_fields = ["person__name", "reason"]
    date_hierarchy = "earned_on"
    list_select_related = ["person", "made_by"]
    raw_id_fields = ["person", "activity", "problem", "redemption", "reverses", "rule"]
