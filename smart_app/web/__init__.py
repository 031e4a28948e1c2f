"""The Flask web layer: launch routes, the dashboard, sessions, security headers, templates."""
