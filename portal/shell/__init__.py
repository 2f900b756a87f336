"""What every page shares: layout, language, formats, security headers, error pages."""
