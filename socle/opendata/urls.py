from django.urls import path

from . import dashboard_views, dcat_views, public_dashboard_views, views

app_name = "opendata"

urlpatterns = [
    path("donnees/", views.portal, name="portal"),
    path("donnees/indicateurs/", public_dashboard_views.public_index, name="public_index"),
    path(
        "donnees/indicateurs/<slug:organisation>/",
        public_dashboard_views.public_dashboard,
        name="public_dashboard",
    ),
    path("donnees/<slug:organisation>/<slug:slug>/", views.dataset_page, name="dataset"),
    path("donnees/fichiers/<int:pk>.<str:fmt>", views.download, name="download"),
    path("data/catalog", dcat_views.catalog, name="catalog"),
    path("data/catalog.ttl", dcat_views.catalog_turtle, name="catalog_ttl"),
    path("data/catalog.jsonld", dcat_views.catalog_jsonld, name="catalog_jsonld"),
    path("agent/donnees/", views.agent_catalogue, name="agent_catalogue"),
    path("agent/donnees/jeux/<int:pk>/", views.agent_dataset, name="agent_dataset"),
    path("agent/donnees/controles/<int:pk>/", views.validation_page, name="validation"),
    path("agent/donnees/controles/<int:pk>/publier", views.validation_publish, name="validation_publish"),
    path("agent/donnees/obligations/", views.cockpit, name="cockpit"),
    path("agent/tableau-de-bord/", dashboard_views.dashboard, name="dashboard"),
    path("agent/tableau-de-bord/public/", public_dashboard_views.open_indicators, name="open_indicators"),
]
