from django.urls import path

from . import franceconnect_views, module_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("communes/", views.communes, name="communes"),
    path("communes/<slug:slug>/", views.commune_detail, name="commune_detail"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("connexion/", views.login, name="login"),
    path("connexion/second-facteur/", views.second_factor, name="second_factor"),
    path("connexion/franceconnect/", franceconnect_views.login, name="franceconnect_login"),
    path("connexion/franceconnect/retour/", franceconnect_views.callback,
         name="franceconnect_callback"),
    path("deconnexion/", views.logout, name="logout"),
    path("inscription/", views.signup, name="signup"),
    path("inscription/confirmer/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("compte/", views.account, name="account"),
    path("agent/", views.agent_home, name="agent_home"),
    path("agent/modules/", module_views.modules_page, name="modules"),
]
