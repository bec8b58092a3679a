from django.urls import path

from . import account_views, franceconnect_views, job_views, legal_views, module_views, token_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("communes/", views.communes, name="communes"),
    path("communes/<slug:slug>/", views.commune_detail, name="commune_detail"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("mentions-legales/", legal_views.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", legal_views.personal_data, name="personal_data"),
    path("contact/", legal_views.contact, name="contact"),
    path("favicon.ico", legal_views.favicon, name="favicon"),
    path("connexion/", views.login, name="login"),
    path("connexion/second-facteur/", views.second_factor, name="second_factor"),
    path("connexion/franceconnect/", franceconnect_views.login, name="franceconnect_login"),
    path("connexion/franceconnect/retour/", franceconnect_views.callback,
         name="franceconnect_callback"),
    path("deconnexion/", views.logout, name="logout"),
    path("inscription/", account_views.signup, name="signup"),
    path("inscription/confirmer/<str:token>/", account_views.signup_confirm, name="signup_confirm"),
    path("mot-de-passe-oublie/", account_views.password_reset, name="password_reset"),
    path("mot-de-passe-oublie/<str:token>/", account_views.password_reset_confirm,
         name="password_reset_confirm"),
    path("compte/", views.account, name="account"),
    path("compte/coordonnees/", account_views.profile_update, name="profile_update"),
    path("compte/adresse-electronique/", account_views.email_change, name="email_change"),
    path("compte/adresse-electronique/<str:token>/", account_views.email_change_confirm,
         name="email_change_confirm"),
    path("compte/mot-de-passe/", account_views.password_change, name="password_change"),
    path("compte/supprimer/", account_views.account_delete, name="account_delete"),
    path("compte/jetons/", token_views.tokens_page, name="tokens"),
    path("compte/jetons/<str:prefix>/revoquer/", token_views.token_revoke_view, name="token_revoke"),
    path("agent/", views.agent_home, name="agent_home"),
    path("agent/modules/", module_views.modules_page, name="modules"),
    path("agent/taches/", job_views.jobs_page, name="jobs"),
    path("agent/taches/executer/", job_views.job_run, name="job_run"),
    path("agent/taches/relancer/", job_views.task_replay_view, name="task_replay"),
]
