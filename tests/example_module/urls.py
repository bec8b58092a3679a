from django.urls import path

from . import views

app_name = "example"
urlpatterns = [path("exemple/", views.home, name="home")]
