from django.urls import path

from reputation import compare_views

app_name = "compare"
urlpatterns = [path("compare/", compare_views.compare_page, name="page")]
