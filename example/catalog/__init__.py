"""The example catalog service: four releases of one product table."""
