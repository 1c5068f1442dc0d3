"""What the callplane services share; services import this package, never each other."""
