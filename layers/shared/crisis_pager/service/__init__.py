"""Use cases. Each takes a command and its ports; imports only the domain."""
