"""Problems for tests: a small world of people around one responsible unit, and problems reported
and moved through problems.services, as the pages and the API do."""

import io
from datetime import timedelta

from django.utils import timezone
from PIL import Image

from problems import services
from problems.models import ResponsibleUnit, Source
from waterways.models import Waterway

from .factories import make_person


def jpeg(colour=(40, 120, 200), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def point_on(code, position_m=300.0, sideways_m=0.0):
    line = Waterway.objects.get(code=code).geom
    point = line.interpolate(position_m)
    point.srid = line.srid
    point.x += sideways_m
    return point


def make_world(crew):
    """crew (tests/conftest.py) plus a village unit with a member and a supervisor, and a deputy."""
    member = make_person(name="孙村干部", role="post_worker")
    supervisor = make_person(name="钱镇长", role="staff", login=True)
    unit = ResponsibleUnit.objects.create(name="狮子沟村委会", kind=ResponsibleUnit.Kind.VILLAGE, supervisor=supervisor)
    unit.members.add(member)
    deputy = make_person(name="吴代表", role="deputy", level="district")
    return {**crew, "member": member, "supervisor": supervisor, "unit": unit, "deputy": deputy}


def reported(by_person, *, category="garbage", code="ZW-G07", position_m=300.0, sideways_m=0.0, observed_at=None,
             source=Source.HOTLINE, **extra):
    return services.report(
        by=by_person.user if by_person is not None else None, source=source,
        new=services.NewProblem(category=category, observed_at=observed_at or timezone.now() - timedelta(hours=1),
                                note="河面漂着塑料袋", point=point_on(code, position_m, sideways_m) if code else None),
        **extra,
    )


def move(problem, person, action, **fields):
    fields.setdefault("note", "已处理" if action != "accept" else "")
    return services.act(problem=problem, user=person.user, move=services.Move(action=action, **fields))
