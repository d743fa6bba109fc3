from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="api-token-obtain"),
    path("auth/tokens/", views.TokenListView.as_view(), name="api-token-list"),
    path("auth/tokens/<int:token_id>/", views.TokenDetailView.as_view(), name="api-token-detail"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("organization/members/", views.MemberListView.as_view(), name="api-members"),
    path("organization/members/<int:membership_id>/", views.MemberDetailView.as_view(), name="api-member"),
    path("organization/invitations/", views.InvitationListView.as_view(), name="api-invitations"),
    path("organization/invitations/<int:invitation_id>/", views.InvitationDetailView.as_view(), name="api-invitation"),
    path("invitations/accept/", views.InvitationAcceptView.as_view(), name="api-invitation-accept"),
    path("notifications/", views.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read/", views.NotificationReadView.as_view(), name="api-notifications-read"),
]
