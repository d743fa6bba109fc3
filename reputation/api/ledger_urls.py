from django.urls import path

from reputation.api import ledger

urlpatterns = [
    path("engagements/", ledger.EngagementListView.as_view(), name="api-engagements"),
    path("engagements/<int:engagement_id>/", ledger.EngagementDetailView.as_view(), name="api-engagement"),
    path("engagements/<int:engagement_id>/end/", ledger.EngagementEndView.as_view(), name="api-engagement-end"),
    path("ledger/", ledger.LedgerListView.as_view(), name="api-ledger"),
    path("ledger/<int:entry_id>/pay/", ledger.LedgerPayView.as_view(), name="api-ledger-pay"),
    path("ledger/<int:entry_id>/waive/", ledger.LedgerWaiveView.as_view(), name="api-ledger-waive"),
]
