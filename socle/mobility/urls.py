from django.urls import path

from . import alert_views, ondemand_views, realtime_views, velotic_views, views

app_name = "mobility"

urlpatterns = [
    path("mobilite/", views.network, name="network"),
    path("mobilite/gtfs.zip", views.gtfs_zip, name="gtfs_zip"),
    path("mobilite/arrets/<str:stop_id>/", views.stop_page, name="stop"),
    path("mobilite/arrets/<str:stop_id>/affichage", views.stop_display, name="display"),
    path("mobilite/lignes/<str:route_id>/", views.route_page, name="route"),
    path("mobilite/gtfs-rt/trip-updates", realtime_views.trip_updates, name="gtfs_rt_trip_updates"),
    path("mobilite/gtfs-rt/alerts", realtime_views.alerts, name="gtfs_rt_alerts"),
    path("mobilite/siri-lite/stop-monitoring.json", realtime_views.stop_monitoring,
         name="siri_stop_monitoring"),
    path("agent/mobilite/temps-reel/", realtime_views.realtime_page, name="realtime"),
    path("agent/mobilite/temps-reel/perturbations/<int:pk>/terminer", realtime_views.disruption_end,
         name="disruption_end"),
    path("mobilite/alertes/", alert_views.subscribe, name="alerts"),
    path("mobilite/alertes/confirmer/<str:secret>", alert_views.confirm, name="alerts_confirm"),
    path("mobilite/alertes/desabonnement/<str:token>", alert_views.unsubscribe, name="alerts_unsubscribe"),
    path("mobilite/allotic/", ondemand_views.booking_page, name="allotic"),
    path("mobilite/allotic/<str:reference>/payer", ondemand_views.penalty_pay, name="allotic_pay"),
    path("agent/mobilite/allotic/", ondemand_views.service_page, name="allotic_service"),
    path("mobilite/velos/", velotic_views.stations, name="velotic"),
    path("mobilite/velos/stations/<str:station_id>/", velotic_views.station, name="velotic_station"),
    path("mobilite/velos/ma-location/", velotic_views.rental, name="velotic_rental"),
    path("mobilite/gbfs/v2.3/<str:name>.json", velotic_views.gbfs_v2, name="gbfs_v2"),
    path("mobilite/gbfs/<str:name>.json", velotic_views.gbfs_v3, name="gbfs"),
    path("agent/mobilite/velos/", velotic_views.fleet, name="velotic_fleet"),
    path("agent/mobilite/", views.feeds, name="feeds"),
    path("agent/mobilite/<int:pk>/", views.feed_detail, name="feed"),
    path("agent/mobilite/<int:pk>/publier", views.feed_publish, name="feed_publish"),
]
