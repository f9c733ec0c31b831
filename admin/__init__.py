"""The web console (Flask-Admin): built in issue 8."""
