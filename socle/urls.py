"""The URL map: pages of each app, the API under /api/v1/, health and schema."""

from django.urls import include, path

from socle.api import api
from socle.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("api/schema", core_views.api_schema, name="api_schema"),
    path("api/v1/", api.urls),
    path("", include("socle.portal.urls")),
    path("", include("socle.documents.urls")),
    path("", include("socle.mail.urls")),
    path("", include("socle.archives.urls")),
    path("", include("socle.core.urls")),
]

handler400 = "socle.core.views.bad_request"
handler404 = "socle.core.views.not_found"
handler500 = "socle.core.views.server_error"
