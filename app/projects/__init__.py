"""Projects (附件1): their life and review (初核), the library, search, saved searches, import."""
