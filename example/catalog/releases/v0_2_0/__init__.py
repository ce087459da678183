"""Release 0.2.0 (switch): code uses created_at, slug is NOT NULL, adds is_published."""
