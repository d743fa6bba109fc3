"""Pages of engagements and the consequence ledger (included in ``reputation.urls``, namespace ``reputation``)."""

from django.urls import path

from reputation import ledger_views

urlpatterns = [
    path("engagements/", ledger_views.engagements, name="engagements"),
    path("engagements/<int:engagement_id>/end/", ledger_views.engagement_end, name="engagement_end"),
    path("ledger/", ledger_views.ledger, name="ledger"),
    path("ledger/<int:entry_id>/pay/", ledger_views.ledger_transition, {"action": "pay"}, name="ledger_pay"),
    path("ledger/<int:entry_id>/waive/", ledger_views.ledger_transition, {"action": "waive"}, name="ledger_waive"),
]
