"""Data access: `GET /members/{member_id}/export` (API.md, Member merge and data rights). The document is built
by loyalty/api/member_export.py; erasure (`DELETE /members/{member_id}`) is on the member's own view."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from loyalty.api import enums
from loyalty.api import redemption_serializers as rs
from loyalty.api.addresses import DeliveryOutput
from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.earning_serializers import TransactionOutput
from loyalty.api.member_export import member_export
from loyalty.api.member_serializers import BalanceOutput, MemberOutput, MemberTierOutput
from loyalty.api.members import get_member_or_404
from rewards.services.ledger import balance_catch_up

EXPORT = inline_serializer(
    name="MemberExport",
    fields={
        "exported_at": serializers.DateTimeField(help_text="When this document was built."),
        "program": inline_serializer(
            name="MemberExportProgram",
            fields={
                "code": serializers.CharField(help_text="The program's code."),
                "name": serializers.CharField(help_text="The program's name."),
            },
            help_text="The program that holds the data.",
        ),
        "member": MemberOutput(help_text="The member as `GET /members/{member_id}` answers it, tier included."),
        "status": serializers.ChoiceField(choices=enums.MEMBER_STATUSES, help_text="The member's status."),
        "merged_into": serializers.CharField(
            allow_null=True, help_text="The member this one was merged into (status `merged`), else null."
        ),
        "address": DeliveryOutput(allow_null=True, help_text="The member's postal address, or null (as in `member`)."),
        "tier": MemberTierOutput(allow_null=True, help_text="The member's tier, or null (as in `member`)."),
        "segments": serializers.ListField(
            child=serializers.CharField(), help_text="The codes of the segments the member is in, sorted."
        ),
        "balance": BalanceOutput(help_text="The member's points as of now."),
        "transactions": TransactionOutput(
            many=True,
            help_text="The whole history, newest first, each row as `GET /members/{member_id}/transactions` "
            "gives it (every page).",
        ),
        "lots": serializers.ListField(
            child=inline_serializer(
                name="MemberExportLot",
                fields={
                    "transaction_id": serializers.IntegerField(help_text="The history row that credited them."),
                    "points": serializers.IntegerField(help_text="The points credited."),
                    "remaining": serializers.IntegerField(help_text="Those not spent or expired yet."),
                    "pending": serializers.BooleanField(help_text="Not available yet."),
                    "available_at": serializers.DateTimeField(allow_null=True, help_text="Pending until then."),
                    "expires_at": serializers.DateTimeField(allow_null=True, help_text="Null: they never expire."),
                    "created_at": serializers.DateTimeField(help_text="When they were credited."),
                },
            ),
            help_text="The member's points lots with their expiry, oldest first.",
        ),
        "redemptions": rs.RedemptionOutput(
            many=True,
            help_text="Every redemption, oldest first, as `GET /redemptions/{id}` answers it (delivery, voucher).",
        ),
        "events": serializers.ListField(
            child=inline_serializer(
                name="MemberExportEvent",
                fields={
                    "reference": serializers.CharField(help_text="The event's reference."),
                    "status": serializers.ChoiceField(choices=enums.EVENT_STATUSES, help_text="Its state."),
                    "points": serializers.IntegerField(allow_null=True, help_text="The points rewarded."),
                    "reason": serializers.CharField(allow_null=True, help_text="Why it was rejected."),
                    "type": serializers.CharField(help_text="The event type's code."),
                    "occurred_at": serializers.DateTimeField(help_text="When it happened."),
                    "attributes": serializers.DictField(help_text="The attributes the partner sent with it."),
                },
            ),
            help_text="The member's events, oldest first, as `GET /events/{reference}` answers them, with their "
            "type, moment and attributes.",
        ),
        "tier_changes": serializers.ListField(
            child=inline_serializer(
                name="MemberExportTierChange",
                fields={
                    "from": serializers.CharField(allow_null=True, help_text="The tier before (code), or null."),
                    "to": serializers.CharField(allow_null=True, help_text="The tier after (code), or null."),
                    "reason": serializers.ChoiceField(
                        choices=["upgrade", "assessment", "override"], help_text="Why it changed."
                    ),
                    "qualifying_points": serializers.IntegerField(help_text="The qualifying points then."),
                    "note": serializers.CharField(help_text="The marketing team's note (tier set by hand)."),
                    "changed_at": serializers.DateTimeField(help_text="When."),
                },
            ),
            help_text="The member's tier changes, oldest first.",
        ),
        "webshop_sessions": serializers.ListField(
            child=inline_serializer(
                name="MemberExportSession",
                fields={
                    "created_at": serializers.DateTimeField(help_text="When the member logged in."),
                    "expires_at": serializers.DateTimeField(help_text="When the session ends."),
                    "revoked_at": serializers.DateTimeField(allow_null=True, help_text="When it was ended early."),
                    "language": serializers.CharField(help_text="The language chosen in the webshop."),
                },
            ),
            help_text="The member's webshop sessions.",
        ),
        "login_links": serializers.ListField(
            child=inline_serializer(
                name="MemberExportLoginLink",
                fields={
                    "created_at": serializers.DateTimeField(help_text="When the link was made."),
                    "expires_at": serializers.DateTimeField(help_text="When it stops working."),
                    "used_at": serializers.DateTimeField(allow_null=True, help_text="When it was used."),
                },
            ),
            help_text="The webshop login links sent to the member.",
        ),
        "notifications": inline_serializer(
            name="MemberExportNotifications",
            fields={
                "preferences": inline_serializer(
                    name="MemberExportNotificationPreferences",
                    fields={"email": serializers.BooleanField(help_text="Whether the member receives e-mail.")},
                    help_text="The member's notification preferences (as `notifications` of the member).",
                ),
                "emails": serializers.ListField(
                    child=inline_serializer(
                        name="MemberExportEmail",
                        fields={
                            "kind": serializers.ChoiceField(
                                choices=[
                                    "voucher_issued",
                                    "redemption_shipped",
                                    "redemption_delivered",
                                    "points_expiring",
                                    "welcome",
                                ],
                                help_text="What the e-mail was about.",
                            ),
                            "redemption": serializers.CharField(
                                allow_null=True, help_text="The reference of the redemption it was about, or null."
                            ),
                            "month": serializers.CharField(
                                allow_null=True,
                                help_text="`YYYY-MM`: the month of a reminder of points expiring, or null.",
                            ),
                            "status": serializers.ChoiceField(
                                choices=["pending", "sending", "sent", "failed", "skipped"],
                                help_text="`skipped`: not sent (the member had unsubscribed or had no address).",
                            ),
                            "language": serializers.CharField(help_text="The language it was written in."),
                            "created_at": serializers.DateTimeField(help_text="When it was decided."),
                            "sent_at": serializers.DateTimeField(allow_null=True, help_text="When it was sent."),
                        },
                    ),
                    help_text="The e-mails the program sent or meant to send to the member, oldest first (their "
                    "texts are not kept).",
                ),
            },
            help_text="Notification preferences and the e-mails sent.",
        ),
    },
)


class MemberExportView(ProgramAPIView):
    required_scope = "members:read"

    @extend_schema(
        operation_id="members_export_retrieve",
        summary="Export a member's data",
        description="Everything the program holds about the member, as one JSON document (data access and "
        "portability): the profile with tier, status, segments and balance, the whole points history, the points "
        "lots with their expiry, the redemptions with their deliveries and vouchers, the events, the tier changes, "
        "the webshop sessions and login links, and the notification preferences with the e-mails sent. Each part has the shape of the endpoint that shows it.",
        responses={200: EXPORT, **error_responses(404)},
    )
    def get(self, request, member_id: str):
        member = get_member_or_404(self.program, member_id)
        balance_catch_up(member=member)  # expired lots get their `expiry` row before the history is exported
        return Response(member_export(member=member, language=self.get_language()))
