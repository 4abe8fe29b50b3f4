"""The ExpoOps services, one package each."""
