"""reviewkit: review Linux kernel C patch series the way an experienced reviewer does."""

__version__ = "0.1.0"
