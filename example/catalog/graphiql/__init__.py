"""GraphiQL served with its JavaScript and CSS from this server (vendored), not from a CDN."""
