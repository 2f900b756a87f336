"""Setting up a province from its folder under tenants/: the unit tree and the criteria it starts with."""
