"""gunicorn settings for the seed's design (bench/seed_app.py): none of the site's hooks, which
load the site's model and Cassandra session. Worker class and count come on the command line,
the same as the site's."""
