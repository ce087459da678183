"""A manifest with releases around the real 0.1.0, to drive the upgrade guard in tests."""

from zerodowntime.deploy.releases import Release, ReleaseManifest

MANIFEST = ReleaseManifest(
    app_label="product",
    releases=(
        Release("0.0.9", "catalog.releases.v0_1_0", "0000_never_applied"),
        Release("0.1.0", "catalog.releases.v0_1_0", "0001_initial"),
        Release("0.1.1", "catalog.releases.v0_1_0", "0002_not_written"),
        Release("0.2.0", "catalog.releases.v0_1_0", "0003_not_written"),
    ),
)
