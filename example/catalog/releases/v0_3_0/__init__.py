"""Release 0.3.0 (contract): `created` is gone; product_index (name, slug) is added."""
