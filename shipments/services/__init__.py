"""Every write on shipments, ASNs, receipts and discrepancy cases, one module per part of the
domain: `shipments` (create, book, ship, cancel, mark received), `asns`, `receipts`
(`asn_confirm_receipt`) and `cases` (discrepancy cases); `common` holds what they share.

Each service is keyword-only, atomic and audited; notifications and emails go out after
commit. Import the module you need (`from shipments.services import receipts`): this package
re-exports nothing."""
