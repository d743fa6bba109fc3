from django.urls import path

from transparency import views

app_name = "transparency"

urlpatterns = [
    path("log/", views.log_page, name="log"),
]
