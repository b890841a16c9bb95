"""The staff's two forms: an adjustment on a statement and a redemption at the desk. Each carries a
hidden key made when the form is shown, so the same form sent twice (a double tap, a resend after a
lost answer) writes once: services.adjust and services.redeem look the key up first."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from people.models import Person
from problems.forms import TextField

from . import selectors
from .models import Redemption
from .services import MAX_ADJUSTMENT

QUANTITY_MAX = 1000


class AdjustmentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("调整积分"), max_digits=6, decimal_places=1, min_value=-MAX_ADJUSTMENT, max_value=MAX_ADJUSTMENT,
        help_text=_("加分填正数，扣分填负数（如 -5），最多一位小数。"),
        error_messages={
            "required": _("请填写调整的积分。"),
            "invalid": _("调整积分应为数字，如 5 或 -2.5。"),
            "min_value": _("一次最多扣 %(limit_value)s 分。"),
            "max_value": _("一次最多加 %(limit_value)s 分。"),
            "max_digits": _("一次最多调整 10000 分。"),
            "max_whole_digits": _("一次最多调整 10000 分。"),
            "max_decimal_places": _("积分最多一位小数。"),
        },
    )
    reason = TextField(label=_("原因"), max_length=200, error_messages={
        "required": _("人工调整积分必须写明原因。"),
        "max_length": _("原因最多 %(limit_value)d 个字（现在 %(show_value)d 个）。"),
    })
    key = forms.UUIDField(widget=forms.HiddenInput, error_messages={
        "required": _("表单已失效，请刷新页面后重新填写。"), "invalid": _("表单已失效，请刷新页面后重新填写。")})

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == Decimal(0):
            raise forms.ValidationError(_("调整的积分不能为 0。"))
        return amount


class RedemptionForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.filter(is_active=True), widget=forms.HiddenInput,
                                    error_messages={"required": _("请先查找并选定兑换的人员。"),
                                                    "invalid_choice": _("没有这个在册人员，请重新查找。")})
    item = forms.ModelChoiceField(label=_("兑换物品"),
                                  queryset=selectors.catalogue(),
                                  empty_label=_("请选择"),
                                  error_messages={"required": _("请选择兑换物品。"),
                                                  "invalid_choice": _("没有这件物品，或它已下架。")})
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=QUANTITY_MAX, initial=1, error_messages={
        "required": _("请填写数量。"), "invalid": _("数量应为整数。"),
        "min_value": _("数量至少为 1。"), "max_value": _("数量最多为 %(limit_value)s。")})
    place = TextField(label=_("兑换点"), max_length=Redemption._meta.get_field("place").max_length,
                            error_messages={"required": _("请填写兑换点。"),
                                            "max_length": _("兑换点最多 %(limit_value)d 个字。")})
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, error_messages={
        "required": _("表单已失效，请刷新页面后重新填写。"), "invalid": _("表单已失效，请刷新页面后重新填写。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].label_from_instance = lambda item: _("%(name)s · %(price)s 分 · 库存 %(stock)s") % {
            "name": item.name, "price": item.price, "stock": item.stock}
