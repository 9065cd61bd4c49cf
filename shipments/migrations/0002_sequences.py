from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shipments", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS shipments_shp_seq;"
            "CREATE SEQUENCE IF NOT EXISTS shipments_asn_seq;"
            "CREATE SEQUENCE IF NOT EXISTS shipments_dsc_seq;"
            "CREATE SEQUENCE IF NOT EXISTS shipments_cn_seq;",
            "DROP SEQUENCE IF EXISTS shipments_shp_seq; DROP SEQUENCE IF EXISTS shipments_asn_seq;"
            "DROP SEQUENCE IF EXISTS shipments_dsc_seq; DROP SEQUENCE IF EXISTS shipments_cn_seq;",
        )
    ]
