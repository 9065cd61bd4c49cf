"""Every write on the organization side, one module per subject: `organizations` (the
hierarchy, locations, members, profiles) and `parties` (external entities with no account).
Import the module you need; nothing is re-exported here."""
