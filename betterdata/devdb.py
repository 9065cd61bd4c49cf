"""The embedded PostgreSQL used when DATABASE_URL is not set.

pgserver ships real PostgreSQL binaries in a wheel. Every process that imports settings
shares one server under .data/pg; pgserver reference-counts the processes and stops the
server when the last one exits, so Ctrl-C on `make run` also stops the database.
"""

from pathlib import Path


def embedded_database_url(data_dir: Path) -> str:
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; harmless here.
        warnings.simplefilter("ignore")
        import pgserver

        data_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'betterdata';")
    if "(1 row)" not in exists:
        server.psql("CREATE DATABASE betterdata;")
    # get_uri() names the socket directory as host; swap the database name only.
    return server.get_uri("betterdata")
