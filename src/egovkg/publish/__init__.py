"""Stage: what people read and browse: the explorer's pages (views, map, timeline), the site."""
