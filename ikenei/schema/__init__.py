"""The schema's life: migrations, seeds, verification and database administration helpers."""
