"""Shared parts every area uses: model types, errors, the audit trail, notifications, mail, stored files, the exchange format, Word helpers, templating, permissions."""
