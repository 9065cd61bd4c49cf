"""Inventory and catalog pages, thin (parse with a form, call a selector or a service,
render), by domain: `stock` (on-hand lists), `reports`, `operations` (adjust, pick,
transfers), `counts`, `catalog` (products, BOM, CSV import). `inventory/urls.py` names each."""
