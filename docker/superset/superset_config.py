# Superset settings for the CHIS warehouse dashboard (docker/docker-compose.yml, service superset).
import os

# signs sessions and encrypts stored database passwords: set SUPERSET_SECRET_KEY to a long random value
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
# Superset's own metadata (users, charts) in a file on the superset-home volume
SQLALCHEMY_DATABASE_URI = "sqlite:////app/superset_home/superset.db"
