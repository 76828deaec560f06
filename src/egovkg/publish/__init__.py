"""Stage: what the build publishes (exports, views, statistics, the site)."""
