"""The bottom layer: what every app may import and that imports no app.

The entitlements table, the shared enums and the helpers for paging, exports, form errors,
formatting, numbering and email. See docs/architecture.md.
"""
