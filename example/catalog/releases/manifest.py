"""The catalog's releases, oldest first, each with the migration that is its head."""

from zerodowntime.deploy.releases import Release, ReleaseManifest

MANIFEST = ReleaseManifest(
    app_label="product",
    releases=(
        Release("0.1.0", "catalog.releases.v0_1_0", "0001_initial"),
        Release("0.1.1", "catalog.releases.v0_1_1", "0007_register_backfills"),
        Release("0.2.0", "catalog.releases.v0_2_0", "0013_remove_product_created_from_state"),
        Release("0.3.0", "catalog.releases.v0_3_0", "0015_product_index"),
    ),
)
