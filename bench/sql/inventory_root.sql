-- /inventory/ first page for an admin of the root, as a person would write it: the viewer's
-- organizations' non-zero balances in (location, newest activity) order — the order of the
-- stock_bal_loc_recent index — with the columns the page shows; then the capped count.
-- Parameters: %(org_ids)s (bigint[]), %(page_size)s, %(cap)s.
SELECT b.id, b.lot, b.expiry, b.quantity, b.updated_at,
       p.sku, p.name, p.price, p.unit_of_measure, p.public_id,
       l.code, l.name, l.public_id, o.code, o.name,
       b.quantity * p.price AS value,
       CASE WHEN b.owner_id = ANY(%(org_ids)s) THEN b.quantity * p.cost END AS cost_value
FROM inventory_stockbalance b
JOIN inventory_product p ON p.id = b.product_id
JOIN orgs_location l ON l.id = b.location_id
JOIN orgs_organization o ON o.id = b.owner_id
WHERE b.owner_id = ANY(%(org_ids)s) AND b.quantity <> 0
ORDER BY b.location_id, b.updated_at DESC, b.id DESC
LIMIT %(page_size)s;

SELECT count(*) FROM (
    SELECT 1 FROM inventory_stockbalance b
    WHERE b.owner_id = ANY(%(org_ids)s) AND b.quantity <> 0
    LIMIT %(cap)s + 1
) capped;
