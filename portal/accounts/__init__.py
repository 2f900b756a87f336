"""Managing accounts: the administrator over the province, district officers over their communes."""
