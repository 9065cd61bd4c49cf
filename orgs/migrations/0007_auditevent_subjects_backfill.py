"""Backfill `AuditEvent.subject_org_ids` for events recorded before it existed: the same rules
as `orgs.audit.SUBJECTS`, in set-based SQL, one UPDATE per kind of target. Events whose target
is gone (or names nothing, like `rls.bypass`) stay with no subjects: their acting org's admins
still read them. Only rows still empty are touched, so it may run again. Then the read index
(AuditEventOrg): the acting org and the subjects of every event, one INSERT ... SELECT."""

from django.db import migrations

from rls.context import bypass

SHIPMENT_SIDES = [
    "s.owner_id",
    "s.shipper_id",
    "s.receiver_id",
    "(SELECT o.operator_id FROM {orgs_Location} o WHERE o.id = s.origin_id)",
]
PARTNERSHIP_SIDES = ["r.parent_id", "r.child_id"]
PUBLIC = "t.public_id::text"
PK = "t.id::text"

# target_type, FROM (the target as `t`, with its joins), key compared to target_id, org ids.
RULES = [
    ("orgs.organization", "{orgs_Organization} t", PUBLIC, ["t.id"]),
    (
        "orgs.organizationrelationship",
        "{orgs_OrganizationRelationship} t",
        PUBLIC,
        ["t.parent_id", "t.child_id"],
    ),
    ("orgs.location", "{orgs_Location} t", PUBLIC, ["t.operator_id"]),
    ("orgs.membership", "{orgs_Membership} t", PUBLIC, ["t.organization_id"]),
    (
        "orgs.membershipinvitation",
        "{orgs_MembershipInvitation} t",
        PUBLIC,
        ["t.organization_id"],
    ),
    ("orgs.party", "{orgs_Party} t", PUBLIC, ["t.owner_id"]),
    (
        "orgs.partycontact",
        "{orgs_PartyContact} t JOIN {orgs_Party} p ON p.id = t.party_id",
        PUBLIC,
        ["p.owner_id"],
    ),
    (
        "partnerships.partnership",
        "{partnerships_Partnership} t JOIN {orgs_OrganizationRelationship} r"
        " ON r.id = t.relationship_id",
        PUBLIC,
        PARTNERSHIP_SIDES,
    ),
    ("partnerships.invitation", "{partnerships_Invitation} t", PUBLIC, ["t.inviting_org_id"]),
    (
        "partnerships.message",
        "{partnerships_Message} t JOIN {partnerships_Partnership} pp ON pp.id = t.partnership_id"
        " JOIN {orgs_OrganizationRelationship} r ON r.id = pp.relationship_id",
        PUBLIC,
        PARTNERSHIP_SIDES,
    ),
    ("inventory.product", "{inventory_Product} t", PUBLIC, ["t.owner_id"]),
    ("inventory.transfer", "{inventory_Transfer} t", PUBLIC, ["t.owner_id"]),
    ("inventory.stockcount", "{inventory_StockCount} t", PUBLIC, ["t.owner_id"]),
    ("shipments.shipment", "{shipments_Shipment} s", "s.public_id::text", SHIPMENT_SIDES),
    (
        "shipments.asn",
        "{shipments_ASN} t JOIN {shipments_Shipment} s ON s.id = t.shipment_id",
        PUBLIC,
        SHIPMENT_SIDES,
    ),
    (
        "shipments.receipt",
        "{shipments_Receipt} t JOIN {shipments_ASN} a ON a.id = t.asn_id"
        " JOIN {shipments_Shipment} s ON s.id = a.shipment_id",
        PUBLIC,
        SHIPMENT_SIDES,
    ),
    (
        "shipments.discrepancycase",
        "{shipments_DiscrepancyCase} t JOIN {shipments_Shipment} s ON s.id = t.shipment_id",
        PUBLIC,
        SHIPMENT_SIDES,
    ),
    (
        "procurement.purchaseorder",
        "{procurement_PurchaseOrder} t",
        PUBLIC,
        ["t.buyer_id", "CASE WHEN t.sent_at IS NULL THEN NULL ELSE t.supplier_org_id END"],
    ),
    (
        "billing.subscription",
        "{billing_Subscription} t",
        PUBLIC,
        ["t.organization_id", "t.payer_id"],
    ),
    ("billing.checkout", "{billing_Checkout} t", PUBLIC, ["t.organization_id"]),
    ("billing.planoverride", "{billing_PlanOverride} t", PK, ["t.organization_id"]),
    ("api.apitoken", "{api_ApiToken} t", PUBLIC, ["t.organization_id"]),
    # A ledger batch: the owners of the stock it moved.
    (
        "inventory.ledgerbatch",
        "{inventory_LedgerBatch} t",
        PK,
        ["m.owner_id"],
    ),
]


def _sorted_ids(expressions):
    return (
        "ARRAY(SELECT DISTINCT x FROM unnest(ARRAY["
        + ", ".join(expressions)
        + "]::bigint[]) x WHERE x IS NOT NULL ORDER BY x)"
    )


def _statement(target_type, source, key, expressions):
    if target_type == "inventory.ledgerbatch":
        ids = (
            "ARRAY(SELECT DISTINCT m.owner_id FROM {inventory_StockMovement} m"
            " WHERE m.batch_id = t.id ORDER BY m.owner_id)"
        )
    else:
        ids = _sorted_ids(expressions)
    return (
        f"UPDATE orgs_auditevent e SET subject_org_ids = {ids} FROM {source}"
        f" WHERE e.target_type = %s AND e.target_id = {key} AND e.subject_org_ids = '{{{{}}}}'"
    )


# A plan change also touches the network whose consolidated bill it moves: the PlanChange row
# written in the same transaction (same organization, within a minute).
PLAN_CHANGE_NETWORK = """
UPDATE orgs_auditevent e SET subject_org_ids = ARRAY(
    SELECT DISTINCT x FROM unnest(e.subject_org_ids || ARRAY[(
        SELECT pc.network_id FROM {billing_PlanChange} pc
        WHERE pc.organization_id = o.id
          AND pc.at BETWEEN e.created_at - interval '1 minute' AND e.created_at + interval '1 minute'
        ORDER BY abs(extract(epoch FROM pc.at - e.created_at)) LIMIT 1
    )]::bigint[]) x WHERE x IS NOT NULL ORDER BY x)
FROM {orgs_Organization} o
WHERE e.action = 'billing.plan_change' AND e.target_type = 'orgs.organization'
  AND e.target_id = o.public_id::text
"""


MODELS = [
    "orgs.OrganizationRelationship", "orgs.Organization", "orgs.Location", "orgs.Membership",
    "orgs.MembershipInvitation",
    "orgs.PartyContact", "orgs.Party", "partnerships.Partnership", "partnerships.Invitation",
    "partnerships.Message", "inventory.Product", "inventory.Transfer", "inventory.StockCount",
    "inventory.LedgerBatch", "inventory.StockMovement", "shipments.Shipment", "shipments.ASN",
    "shipments.Receipt", "shipments.DiscrepancyCase", "procurement.PurchaseOrder",
    "billing.Subscription", "billing.Checkout", "billing.PlanOverride", "billing.PlanChange",
    "api.ApiToken",
]


READERS = """
INSERT INTO orgs_auditeventorg (event_id, organization_id)
SELECT DISTINCT e.id, x FROM orgs_auditevent e
CROSS JOIN LATERAL unnest(e.subject_org_ids || e.acting_org_id) x
WHERE x IS NOT NULL AND EXISTS (SELECT 1 FROM orgs_organization o WHERE o.id = x)
ON CONFLICT DO NOTHING
"""


# Ledger batches had no name ("LedgerBatch object (147)"): their kind and source document.
LEDGER_BATCH_NAMES = """
UPDATE orgs_auditevent e SET target_repr = left(initcap(replace(b.kind, '_', ' ')) || ' '
    || coalesce(nullif(b.reference, ''), '#' || b.id), 300)
FROM {inventory_LedgerBatch} b
WHERE e.target_type = 'inventory.ledgerbatch' AND e.target_id = b.id::text
  AND e.target_repr LIKE 'LedgerBatch object (%%'
"""


def forwards(apps, schema_editor):
    # Table names from the models (some moved between apps and kept their old table).
    tables = {
        label.replace(".", "_"): schema_editor.connection.ops.quote_name(
            apps.get_model(label)._meta.db_table
        )
        for label in MODELS
    }
    connection = schema_editor.connection
    with (
        bypass(reason="migration: backfill audit event subjects", using=connection),
        connection.cursor() as cur,
    ):
        for target_type, source, key, expressions in RULES:
            sql = _statement(target_type, source, key, expressions).format(**tables)
            cur.execute(sql, [target_type])
        cur.execute(PLAN_CHANGE_NETWORK.format(**tables))
        cur.execute(READERS)
        cur.execute(LEDGER_BATCH_NAMES.format(**tables))


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0006_auditevent_subject_org_ids"),
        ("api", "0001_initial"),
        ("billing", "0001_initial"),
        ("inventory", "0002_bomline_stockcount_stockcountline_transfer_and_more"),
        ("partnerships", "0003_notifications_and_party_contacts_move_out"),
        ("procurement", "0001_initial"),
        ("shipments", "0003_evidence_public_ids_and_names"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
