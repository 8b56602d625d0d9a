printf(42)
