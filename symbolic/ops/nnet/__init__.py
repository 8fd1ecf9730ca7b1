"""Neural-network ops."""
