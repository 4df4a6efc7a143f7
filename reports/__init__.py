"""Reports: result bundles → tables, Jinja2 templates, the leaderboard site, submissions."""
