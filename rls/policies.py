"""The visibility table (docs/visibility.md), a second time, as PostgreSQL policies.

Each entry is table -> USING expression, written against the session settings that
`rls.context.activate(scope)` sets. Every expression is OR'ed with the explicit bypass. Sets are
read as `col = ANY((SELECT app_ids('...')))`: the sub-select makes PostgreSQL evaluate the
setting once per query (an InitPlan), and `= ANY(array)` costs about what the ORM's `IN (...)`
costs; `IN (subquery)` over another table costs 7-40x on big tables and is used only on small
ones or through an indexed EXISTS on a parent row (child tables).

Child tables use EXISTS on their parent: RLS applies inside the sub-select too, so a line is
visible exactly when its document is.
"""

from __future__ import annotations

from django.db.utils import ProgrammingError


def ids(name: str) -> str:
    return f"(SELECT app_ids('{name}'))::bigint[]"


def flag(name: str) -> str:
    return f"(SELECT app_flag('{name}'))"


USER = "(SELECT app_id('user_id'))"
ROOT = "(SELECT app_id('root_org_id'))"
BYPASS = flag("bypass")
ORGS = ids("org_ids")
ADMIN = ids("admin_org_ids")
PARTNERS = ids("partner_org_ids")
LOCS = ids("location_ids")
OPERATED = ids("operated_location_ids")
ORG_LOCS = ids("org_location_ids")
MEMBER = flag("member")
MLOCS = ids("member_location_ids")
GRANTS = ids("grant_keys")


def own_at(owner: str, *locations: str) -> str:
    """Own orgs' rows (members: only where one of the row's locations is granted)."""
    granted = " OR ".join(f"{loc} = ANY({MLOCS})" for loc in locations)
    return f"({owner} = ANY({ORGS}) AND (NOT {MEMBER} OR {granted}))"


def shared_at(owner: str, location: str) -> str:
    """Another owner's rows at a location its partnership shares with the viewer."""
    return f"(({owner} * 4294967296 + {location}) = ANY({GRANTS}))"


def child_of(table: str, parent: str, fk: str, pk: str = "id") -> str:
    return f"EXISTS (SELECT 1 FROM {parent} p WHERE p.{pk} = {table}.{fk})"


SHIPMENT = (
    f"{own_at('owner_id', 'origin_id', 'destination_id')}"
    f" OR ((shipper_id = ANY({ORGS}) OR receiver_id = ANY({ORGS}))"
    f" AND (NOT {MEMBER} OR origin_id = ANY({MLOCS}) OR destination_id = ANY({MLOCS})))"
    f" OR origin_id = ANY({OPERATED}) OR destination_id = ANY({OPERATED})"
)

POLICIES: dict[str, str] = {
    # Organization: own and partner orgs, the network root, the orgs of the user's memberships,
    # and every org linked to the viewer's orgs by a relationship of any status (an ended
    # partnership's counterparty still names the documents it took part in). Documents are
    # exchanged along these links, so a join from a visible document to its owner, shipper,
    # receiver, buyer or supplier does not drop it. No EXISTS over documents here: it would run
    # for every organization row of every join (measured: 7-40x on the list pages).
    "orgs_organization": (
        f"id = ANY({ORGS}) OR id = ANY({PARTNERS}) OR id = {ROOT}"
        f" OR id IN (SELECT m.organization_id FROM orgs_membership m WHERE m.user_id = {USER})"
        " OR EXISTS (SELECT 1 FROM orgs_organizationrelationship r"
        " WHERE r.parent_id = orgs_organization.id OR r.child_id = orgs_organization.id)"
        # The payer of a subscription the viewer administers (a network root bills it).
        " OR EXISTS (SELECT 1 FROM billing_subscription bs"
        f" WHERE bs.payer_id = orgs_organization.id AND bs.organization_id = ANY({ADMIN}))"
    ),
    # Any link with one side in the viewer's orgs (the app shows only own-org links and the
    # viewer's own partner links; a partnership of any status must still reach its link).
    "orgs_organizationrelationship": f"parent_id = ANY({ORGS}) OR child_id = ANY({ORGS})",
    # Location: visible locations, every location operated by an admin's orgs (a new one too),
    # and the ship-to of a visible purchase order (an inner join for the supplier). Shipment
    # ends are nullable (outer joins) and read by shipments.selectors under a named bypass.
    "orgs_location": (
        # The organization's locations (own and shared) exist for every member, granted or not:
        # a transfer or count names both of its ends (one may be a 3PL's site), and an INNER
        # JOIN on a hidden row would drop the document itself. Which of them a member may
        # *see* is the app filter's; the others show as their operator (orgs/ends.py).
        # (operator_id: a location an admin creates is readable back by its INSERT ... RETURNING)
        f"id = ANY({LOCS}) OR id = ANY({ORG_LOCS}) OR operator_id = ANY({ORGS})"
        " OR EXISTS (SELECT 1 FROM procurement_purchaseorder po"
        " WHERE po.ship_to_id = orgs_location.id)"
    ),
    "orgs_membership": f"organization_id = ANY({ADMIN}) OR user_id = {USER}",
    # Membership invitations: the inviting organization's admins (the invitee uses its link).
    "orgs_membershipinvitation": f"organization_id = ANY({ADMIN})",
    "orgs_party": f"owner_id = ANY({ORGS})",
    # What the administered orgs did, or what touched them: a row of the read index.
    "orgs_auditevent": child_of("orgs_auditevent", "orgs_auditeventorg", "id", pk="event_id"),
    "orgs_auditeventorg": f"organization_id = ANY({ADMIN})",
    "partnerships_partnership": (
        "EXISTS (SELECT 1 FROM orgs_organizationrelationship r"
        " WHERE r.id = partnerships_partnership.relationship_id)"
    ),
    "partnerships_invitation": f"inviting_org_id = ANY({ORGS})",
    "partnerships_message": child_of(
        "partnerships_message", "partnerships_partnership", "partnership_id"
    ),
    "partnerships_notification": f"user_id = {USER}",
    "partnerships_notificationpreference": f"user_id = {USER}",
    "partnerships_partycontact": child_of("partnerships_partycontact", "orgs_party", "party_id"),
    # Product: own catalog; another owner's product only when a visible balance or a line of a
    # visible shipment, ASN or purchase order refers to it.
    "inventory_product": (
        f"owner_id = ANY({ORGS})"
        " OR EXISTS (SELECT 1 FROM inventory_stockbalance b"
        " WHERE b.product_id = inventory_product.id)"
        " OR EXISTS (SELECT 1 FROM shipments_shipmentline l"
        " WHERE l.product_id = inventory_product.id)"
        " OR EXISTS (SELECT 1 FROM shipments_asnline l WHERE l.product_id = inventory_product.id)"
        " OR EXISTS (SELECT 1 FROM procurement_purchaseorderline l"
        " WHERE l.product_id = inventory_product.id)"
    ),
    "inventory_bomline": child_of("inventory_bomline", "inventory_product", "product_id"),
    "inventory_stockbalance": (
        f"{own_at('owner_id', 'location_id')} OR {shared_at('owner_id', 'location_id')}"
    ),
    # Movements: own (members: at granted locations), or of a batch the viewer's org posted.
    "inventory_stockmovement": (
        f"{own_at('owner_id', 'location_id')} OR EXISTS (SELECT 1 FROM inventory_ledgerbatch lb"
        f" WHERE lb.id = inventory_stockmovement.batch_id AND lb.acting_org_id = ANY({ORGS}))"
    ),
    "inventory_transfer": own_at("owner_id", "from_location_id", "to_location_id"),
    "inventory_transferline": child_of(
        "inventory_transferline", "inventory_transfer", "transfer_id"
    ),
    "inventory_stockcount": own_at("owner_id", "location_id"),
    "inventory_stockcountline": child_of(
        "inventory_stockcountline", "inventory_stockcount", "count_id"
    ),
    "shipments_shipment": SHIPMENT,
    "shipments_shipmentline": child_of(
        "shipments_shipmentline", "shipments_shipment", "shipment_id"
    ),
    "shipments_asn": child_of("shipments_asn", "shipments_shipment", "shipment_id"),
    "shipments_asnline": child_of("shipments_asnline", "shipments_asn", "asn_id"),
    "shipments_receipt": child_of("shipments_receipt", "shipments_asn", "asn_id"),
    "shipments_receiptline": child_of("shipments_receiptline", "shipments_receipt", "receipt_id"),
    "shipments_discrepancycase": child_of(
        "shipments_discrepancycase", "shipments_shipment", "shipment_id"
    ),
    "shipments_casemessage": child_of(
        "shipments_casemessage", "shipments_discrepancycase", "case_id"
    ),
    "shipments_storagerate": child_of(
        "shipments_storagerate", "partnerships_partnership", "partnership_id"
    ),
    "procurement_purchaseorder": (
        f"buyer_id = ANY({ORGS}) OR (supplier_org_id = ANY({ORGS}) AND status <> 'DRAFT')"
    ),
    "procurement_purchaseorderline": child_of(
        "procurement_purchaseorderline", "procurement_purchaseorder", "purchase_order_id"
    ),
    "billing_subscription": f"organization_id = ANY({ADMIN}) OR payer_id = ANY({ADMIN})",
    "billing_planchange": f"organization_id = ANY({ADMIN}) OR network_id = ANY({ADMIN})",
    "billing_checkout": f"organization_id = ANY({ADMIN})",
    "billing_sponsoredupgraderequest": (
        f"organization_id = ANY({ADMIN}) OR network_id = ANY({ADMIN})"
    ),
    "api_apitoken": f"organization_id = ANY({ADMIN})",
}

FUNCTIONS = """
CREATE OR REPLACE FUNCTION app_ids(name text) RETURNS bigint[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('app.' || name, true), ''), '{}')::bigint[]
$$;
CREATE OR REPLACE FUNCTION app_id(name text) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('app.' || name, true), '')::bigint
$$;
CREATE OR REPLACE FUNCTION app_flag(name text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.' || name, true), '') = 'on'
$$;
"""


def enable_sql(table: str, using: str) -> str:
    """Enable and force RLS on `table` with its policy; a table that does not exist yet is
    skipped. The RLS migrations apply every entry of POLICIES as it is when they run, which
    includes tables created by later migrations (a new tenant table's own migration applies
    its policy once the table exists: billing/migrations/0002_sponsoredupgraderequest.py)."""
    return (
        f"DO $rls$ BEGIN IF to_regclass('{table}') IS NOT NULL THEN"
        f" ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;"
        f" ALTER TABLE {table} FORCE ROW LEVEL SECURITY;"
        f" DROP POLICY IF EXISTS tenant ON {table};"
        f" CREATE POLICY tenant ON {table} USING ({BYPASS} OR ({using}));"
        " END IF; END $rls$;"
    )


def disable_sql(table: str) -> str:
    return (
        f"DROP POLICY IF EXISTS tenant ON {table};"
        f" ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;"
        f" ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;"
    )


def apply_sql(cursor, table: str, using: str) -> bool:
    """Apply one policy; False (nothing done) when its table, or a table its expression
    reads, does not exist yet: the migration that creates it applies the policy (an early
    migration such as 0001 reads today's POLICIES, which may name later tables)."""
    cursor.execute("SAVEPOINT rls_policy")
    try:
        cursor.execute(enable_sql(table, using))
    except ProgrammingError:
        cursor.execute("ROLLBACK TO SAVEPOINT rls_policy")
        return False
    cursor.execute("RELEASE SAVEPOINT rls_policy")
    return True
