"""Session keys the request's Scope is built from. Here, in the access layer's app, so that the
views that set them (accounts, partnerships) and the middleware that reads them
(betterdata.middleware) share one spelling without importing upward."""

# The organization a user with several memberships acts in (orgs.access.scope_for_user).
ACTIVE_ORG_SESSION_KEY = "active_org"
# The partnership an admin is previewing "as partner" (partnerships/preview.py).
PREVIEW_SESSION_KEY = "preview_partnership"
