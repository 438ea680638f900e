"""Local stand-ins for services that cannot run in tests: they answer as the real ones do."""
