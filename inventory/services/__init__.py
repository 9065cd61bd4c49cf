"""Every inventory write, by domain: `catalog` (products, BOMs), `csv_import` (the product CSV
import), `operations` (adjustments, transfers), `counts` (stock counts); `guards` holds the
where-may-the-viewer-work checks they share. Reads, including reports, live in `selectors`.

Import the module you need (`from inventory.services import operations`); nothing is
re-exported here, so each caller names the domain it writes to.
"""
