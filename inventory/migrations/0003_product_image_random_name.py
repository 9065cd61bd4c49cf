import core.uploads
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0002_bomline_stockcount_stockcountline_transfer_and_more"),
    ]

    operations = [
        migrations.AlterField(
            model_name="product",
            name="image",
            field=models.ImageField(
                blank=True,
                max_length=200,
                upload_to=core.uploads.RandomName("products", dated=False),
                validators=[core.uploads.validate_image],
            ),
        ),
    ]
