"""Every write of the partnerships app, one module per subject: `invitations` (sending and
finding them), `acceptance` (an invitee accepting), `partnerships` (terms, ending),
`preview` (the audited "view as partner") and `messages` (the partnership thread).
Import the module you need; nothing is re-exported here."""
