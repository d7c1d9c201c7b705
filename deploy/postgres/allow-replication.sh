#!/bin/sh
# Run once by the postgres image when it creates the primary's database:
# the standby (compose's replica service) may connect for replication.
set -e
echo "host replication $POSTGRES_USER all scram-sha-256" >>"$PGDATA/pg_hba.conf"
