"""The lessons' exercises: one module per lesson, imported by its notebook."""
