"""What talks to an endpoint: the one upstream client and the tools built on it."""
