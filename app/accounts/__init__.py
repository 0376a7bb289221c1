"""Users, organisations and their members, sign-in, verification."""
