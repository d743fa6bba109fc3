from django.urls import path

from reputation.api.compare import CompareView

urlpatterns = [path("compare/", CompareView.as_view(), name="api-compare")]
