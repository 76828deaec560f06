"""RDF formats, conversion, export and the limits on what parsers are given."""
