"""The personal-data law's side of the portal: the privacy notice, the province's settings page."""
