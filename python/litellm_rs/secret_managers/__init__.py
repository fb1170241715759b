"""Secret lookup (``litellm.secret_managers``): the environment, and ``os.environ/NAME`` references."""
