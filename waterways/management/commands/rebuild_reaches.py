from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from waterways import services
from waterways.models import ReachLink


class Command(BaseCommand):
    help = _("按 REACH_LENGTH_M 重新切分所有河道为河段，并重建河段相邻关系（沿河与汇流口）。")

    def handle(self, *args, **options):
        cut = services.rebuild_reaches()
        junctions = ReachLink.objects.filter(kind=ReachLink.Kind.JUNCTION).count() // 2
        self.stdout.write(self.style.SUCCESS(
            _("已切分 %(cut)d 个河段（每段 %(step)g 米），汇流口 %(junctions)d 处。") % {
                "cut": cut, "step": settings.REACH_LENGTH_M, "junctions": junctions}
        ))
        for code, distance in services.unjoined_tributaries():
            self.stdout.write(self.style.WARNING(_("注意：%(code)s 未能与汇入河流相连。") % {"code": code}))
