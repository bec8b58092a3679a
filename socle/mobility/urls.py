from django.urls import path

from . import views

app_name = "mobility"

urlpatterns = [
    path("mobilite/", views.network, name="network"),
    path("mobilite/gtfs.zip", views.gtfs_zip, name="gtfs_zip"),
    path("mobilite/arrets/<str:stop_id>/", views.stop_page, name="stop"),
    path("mobilite/arrets/<str:stop_id>/affichage", views.stop_display, name="display"),
    path("mobilite/lignes/<str:route_id>/", views.route_page, name="route"),
    path("agent/mobilite/", views.feeds, name="feeds"),
    path("agent/mobilite/<int:pk>/", views.feed_detail, name="feed"),
    path("agent/mobilite/<int:pk>/publier", views.feed_publish, name="feed_publish"),
]
