#!/bin/sh
# Run TRT on one of the two hosts: docker run with the shared env file and this host's id.
#   HOST_ID=trt-b deploy/two-hosts/run-host.sh
set -eu
exec docker run -d --name trt --restart unless-stopped --stop-timeout 40 \
  --env-file "$(dirname "$0")/trt.env" -e HOST_ID="${HOST_ID:?set HOST_ID (trt-a or trt-b)}" \
  -p 10000:10000 trt:latest
