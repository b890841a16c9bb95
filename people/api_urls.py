from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.ObtainToken.as_view(), name="api-token"),
    path("auth/tokens/", api.TokenList.as_view(), name="api-tokens"),
    path("auth/tokens/revoke-all/", api.TokenRevokeAll.as_view(), name="api-tokens-revoke-all"),
    path("auth/tokens/<str:token_id>/", api.TokenRevoke.as_view(), name="api-token-revoke"),
    path("people/", api.PersonList.as_view(), name="api-people"),
    path("people/<int:pk>/", api.PersonDetail.as_view(), name="api-person"),
]
