-- /inventory/ first page for a partner that sees another owner's stock at shared locations
-- (grants: (owner, location) pairs), as a person would write it: one index-ordered LATERAL
-- branch per grant, the first page of (location, newest activity), the shown columns; then
-- the capped count. A partner sees no cost (cost_value NULL).
-- Parameters: %(grant_owners)s, %(grant_locations)s (bigint[] of equal length),
-- %(page_size)s, %(cap)s.
SELECT b.id, b.lot, b.expiry, b.quantity, b.updated_at,
       p.sku, p.name, p.price, p.unit_of_measure, p.public_id,
       l.code, l.name, l.public_id, o.code, o.name,
       b.quantity * p.price AS value,
       NULL::numeric AS cost_value
FROM unnest(%(grant_owners)s::bigint[], %(grant_locations)s::bigint[]) AS g(owner_id, location_id)
CROSS JOIN LATERAL (
    SELECT * FROM inventory_stockbalance s
    WHERE s.location_id = g.location_id AND s.owner_id = g.owner_id AND s.quantity <> 0
    ORDER BY s.updated_at DESC, s.id DESC
    LIMIT %(page_size)s
) b
JOIN inventory_product p ON p.id = b.product_id
JOIN orgs_location l ON l.id = b.location_id
JOIN orgs_organization o ON o.id = b.owner_id
ORDER BY b.location_id, b.updated_at DESC, b.id DESC
LIMIT %(page_size)s;

SELECT count(*) FROM (
    SELECT 1 FROM unnest(%(grant_owners)s::bigint[], %(grant_locations)s::bigint[])
        AS g(owner_id, location_id)
    CROSS JOIN LATERAL (
        SELECT 1 FROM inventory_stockbalance s
        WHERE s.location_id = g.location_id AND s.owner_id = g.owner_id AND s.quantity <> 0
        LIMIT %(cap)s + 1
    ) b
    LIMIT %(cap)s + 1
) capped;
