"""The catalog's releases: one frozen folder per version and the manifest that orders them."""
