"""The URL map: health, schema and API, then every module's pages, as each declares them."""

from django.urls import include, path

from socle.api import api, api_schema
from socle.core import modules
from socle.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("api/schema", api_schema, name="api_schema"),
    path("api/v1/", api.urls),
    # Core's own pages come last: its catch-all commune pages must not shadow a module's.
    *[path("", include(urls)) for urls in modules.url_includes() if urls != "socle.core.urls"],
    path("", include("socle.core.urls")),
]

handler400 = "socle.core.views.bad_request"
handler404 = "socle.core.views.not_found"
handler500 = "socle.core.views.server_error"
