"""PostgreSQL backend that makes sure the app role exists before SET ROLE (rls/roles.py)."""

from django.db.backends.postgresql import base

from rls.roles import ensure_role


class DatabaseWrapper(base.DatabaseWrapper):
    def _configure_role(self, connection):
        role = self.settings_dict["OPTIONS"].get("assume_role")
        if role:
            ensure_role(connection, role, self.settings_dict.get("NAME") or "")
        return super()._configure_role(connection)

    def init_connection_state(self):
        # A new session starts with no settings: the policies see nothing until activated.
        self.rls_settings = None
        super().init_connection_state()
