"""pytest plugin entry point (``pytest11``): off until a test asks for its fixtures."""
