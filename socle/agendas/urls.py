from django.urls import path

from . import agent_views, appointment_views, company_views, payment_views, views

app_name = "agendas"

urlpatterns = [
    path("agendas/", views.agenda_list, name="list"),
    path("agendas/ateliers/", views.events_list, name="events"),
    path("agendas/<int:pk>/", views.agenda_page, name="agenda"),
    path("agendas/<int:pk>/reserver/", views.book, name="book"),
    path("agendas/<int:pk>/agenda.ics", views.feed, name="feed"),
    path("agendas/flux/<str:secret>.ics", views.feed_secret, name="feed_secret"),
    path("agendas/seances/<int:pk>/", views.event_page, name="event"),
    path("agendas/mes-reservations/", views.my_bookings, name="my_bookings"),
    path("agendas/reservations/<int:pk>/annuler/", views.booking_cancel, name="booking_cancel"),
    path("agendas/reservations/<int:pk>/deplacer/", appointment_views.booking_move, name="booking_move"),
    path(
        "agendas/dossiers/<int:case_id>/rendez-vous/",
        appointment_views.case_appointment,
        name="case_appointment",
    ),
    path("agendas/reservations/<int:pk>/payer/", payment_views.booking_pay, name="booking_pay"),
    path("agendas/paiement-test/<str:reference>/", payment_views.payment_test, name="payment_test"),
    path("agendas/reservations/<int:pk>.ics", views.booking_ics, name="booking_ics"),
    path("agendas/reservations/lien/<str:secret>.ics", views.booking_ics_secret, name="booking_ics_secret"),
    path("agendas/entreprises/", company_views.companies, name="companies"),
    path("agendas/entreprises/<int:pk>/", company_views.company_page, name="company"),
    path("mediation-numerique/lieux/", views.places, name="places"),
    path("mediation-numerique/lieux.csv", views.places_csv, name="places_csv"),
    path("agent/agendas/", agent_views.manage, name="manage"),
    path("agent/agendas/<int:pk>/", agent_views.agenda_admin, name="agenda_admin"),
    path("agent/agendas/ressources/<int:pk>/", agent_views.resource_page, name="resource"),
    path("agent/mediation/", agent_views.mediation_home, name="mediation"),
    path("agent/mediation/seances/<int:pk>/", agent_views.attendance, name="attendance"),
    path("agent/mediation/activites.<str:fmt>", agent_views.activities_export, name="activities_export"),
]
