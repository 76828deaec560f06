"""Stage: what people read and browse (the explorer's pages, the site) and what the build publishes."""
