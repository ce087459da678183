"""The catalog's releases, oldest first, each with the migration that is its head."""

from zerodowntime.deploy.releases import Release, ReleaseManifest

MANIFEST = ReleaseManifest(
    app_label="product",
    releases=(Release("0.1.0", "catalog.releases.v0_1_0", "0001_initial"),),
)
