"""The programme dashboard, national report batches, summary documents, the audit viewer."""
