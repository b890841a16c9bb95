"""Photos of an activity (and of its problems)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from people import selectors as people_selectors
from riverwatch.api_errors import as_drf_error, refuse_oversized
from riverwatch.photos import PhotoError

from .. import problem_reports, services
from ..serializers import PhotoSerializer, lonlat
from .activities import MULTIPART_OVERHEAD_BYTES, visible_activity
from .inputs import PhotoUploadSerializer


class ActivityPhotoUpload(APIView):
    """Add a photo (JPEG/PNG/WebP, at most PHOTO_MAX_BYTES). The stored copy is re-encoded without
    metadata; its GPS position becomes the activity's location when the activity has none. With
    `problem` (a problem's client_uuid), the photo shows that problem of this activity."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer}, responses={201: PhotoSerializer})
    def post(self, request, pk):
        refuse_oversized(
            request, settings.PHOTO_MAX_BYTES + MULTIPART_OVERHEAD_BYTES, _("照片太大（%(size).1f MB），上限 %(max).0f MB。")
        )
        activity = visible_activity(request, pk)
        if activity.submitted_by_id != request.user.pk and not people_selectors.is_office_staff(request.user):
            raise NotFound(_("只能给自己提交的活动添加照片。"))
        serializer = PhotoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        content = serializer.validated_data["photo"].read(settings.PHOTO_MAX_BYTES + 1)
        try:
            photo, created, location_used = services.add_photo(
                activity=activity, uploaded_by=request.user, data=content,
                problem_uuid=serializer.validated_data.get("problem"),
            )
        except PhotoError as error:
            raise ValidationError({"photo": [str(error)]}) from None
        except problem_reports.UnknownProblem as error:
            raise ValidationError({"problem": error.messages}) from None
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        body = PhotoSerializer(photo).data
        body["location_used"] = location_used
        body["problem"] = str(photo.problem.client_uuid) if photo.problem_id else None
        if photo.exif_point is not None:
            body["exif_location"] = {"type": "Point", "coordinates": lonlat(photo.exif_point)}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
