"""The media cache on the local file system."""
