"""The portal's pages. Each views module declares its own ``urlpatterns``."""

from . import backoffice, editor, payment_views, views

app_name = "portal"

urlpatterns = [
    *views.urlpatterns,
    *backoffice.urlpatterns,
    *editor.urlpatterns,
    *payment_views.urlpatterns,
]
