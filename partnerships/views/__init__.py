"""The partnerships pages, one module per subject: `partnerships` (list, detail, edit, end, the
message thread), `invitations` (sending them, and the public link an invitee opens) and
`preview` (start and stop "view as partner"). partnerships/urls.py names each view."""
